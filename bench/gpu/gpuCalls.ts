// Counts the WebGPU calls a training step makes, by wrapping the methods of the `webgpu` package's
// GPUDevice, GPUQueue, GPUCommandEncoder, GPUComputePassEncoder and GPUBuffer classes.
// At ResNet-20's size a GPU step is bound by these (each dispatch and submit costs driver time
// regardless of its work), not by FLOPs, so their counts per step predict GPU speed before any
// GPU has run vdm.

export interface GpuCallCounts {
  /** dispatchWorkgroups: one per shader run (kernel). */
  dispatches: number;
  /** beginComputePass: tfjs batches dispatches into a pass until it submits. */
  computePasses: number;
  /** copyBufferToBuffer: tensor uploads and reads go through one; each ends the open compute pass. */
  bufferCopies: number;
  /** queue.submit. */
  submits: number;
  /** queue.writeBuffer into a UNIFORM buffer: tfjs uploads each dispatch's shapes and sizes this way. */
  uniformUploads: number;
  /** queue.writeBuffer into any other buffer (tensor data from the host). */
  dataUploads: number;
  /** buffer.mapAsync for reading: the step waits for the GPU each time. */
  hostReads: number;
  /** createComputePipeline(Async): a shader compiled during the step (0 once warm). */
  pipelinesCompiled: number;
  createBindGroups: number;
  createBuffers: number;
}

export function zeroCounts(): GpuCallCounts {
  return { dispatches: 0, computePasses: 0, bufferCopies: 0, submits: 0, uniformUploads: 0, dataUploads: 0, hostReads: 0, pipelinesCompiled: 0, createBindGroups: 0, createBuffers: 0 };
}

type Method = (...args: any[]) => any;
type Methods = Record<string, Method>;

/** GPUBufferUsage.UNIFORM and MAP_READ (WebGPU spec values). */
const UNIFORM = 0x40;
const MAP_READ = 0x1;

/** Dawn's classes as the webgpu package puts them on globalThis (src/backend/webgpu.ts installWebgpu). */
type GpuClasses = Record<'GPUQueue' | 'GPUDevice' | 'GPUCommandEncoder' | 'GPUComputePassEncoder' | 'GPUBuffer', { prototype: object } | undefined>;

export class GpuCallCounter {
  counts = zeroCounts();
  private readonly wrapped: [object, string, Method][] = [];

  /** Wraps the WebGPU classes' methods (every device, queue, encoder and buffer, pooled ones too); counting starts at once. */
  install(classes = globalThis as unknown as GpuClasses): void {
    const c = () => this.counts;
    const proto = (name: keyof GpuClasses) => {
      const cls = classes[name];
      if (cls === undefined) throw new Error(`GpuCallCounter: no ${name} class on globalThis (is the webgpu backend started?)`);
      return cls.prototype;
    };
    const count = (key: keyof GpuCallCounts) => (original: Method) =>
      function (this: unknown, ...args: unknown[]) {
        c()[key]++;
        return original.apply(this, args);
      };
    this.wrap(proto('GPUQueue'), {
      submit: count('submits'),
      writeBuffer: (original) =>
        function (this: unknown, buffer: { usage?: number }, ...rest: unknown[]) {
          if (((buffer.usage ?? 0) & UNIFORM) !== 0) c().uniformUploads++;
          else c().dataUploads++;
          return original.call(this, buffer, ...rest);
        },
    });
    this.wrap(proto('GPUCommandEncoder'), { beginComputePass: count('computePasses'), copyBufferToBuffer: count('bufferCopies') });
    this.wrap(proto('GPUComputePassEncoder'), { dispatchWorkgroups: count('dispatches') });
    this.wrap(proto('GPUBuffer'), {
      mapAsync: (original) =>
        function (this: unknown, mode: number, ...rest: unknown[]) {
          if ((mode & MAP_READ) !== 0) c().hostReads++;
          return original.call(this, mode, ...rest);
        },
    });
    this.wrap(proto('GPUDevice'), {
      createBuffer: count('createBuffers'),
      createBindGroup: count('createBindGroups'),
      createComputePipeline: count('pipelinesCompiled'),
      createComputePipelineAsync: count('pipelinesCompiled'),
    });
  }

  /** Puts the classes' own methods back. */
  uninstall(): void {
    for (const [target, name, original] of this.wrapped.splice(0).reverse()) {
      Object.defineProperty(target, name, { value: original, configurable: true, writable: true });
    }
  }

  reset(): GpuCallCounts {
    const counts = this.counts;
    this.counts = zeroCounts();
    return counts;
  }

  private wrap(prototype: object, methods: Record<string, (original: Method) => Method>): void {
    for (const [name, makeWrapper] of Object.entries(methods)) {
      const original = (prototype as Methods)[name];
      if (typeof original !== 'function') continue;
      Object.defineProperty(prototype, name, { value: makeWrapper(original), configurable: true, writable: true });
      this.wrapped.push([prototype, name, original]);
    }
  }
}
