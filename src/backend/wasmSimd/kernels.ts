// vdm's own wasm SIMD kernels (C sources here, compiled by build.sh), instantiated on
// tfjs-backend-wasm's heap so that they read and write tensors where tfjs keeps them.
import type * as tf from '@tensorflow/tfjs';
import type { KernelParams } from '../wasmKernelCall.js';
import { PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM } from './kernels.generated.js';
import { KernelThreadPool } from './threadPool.js';

/** The exports of build.sh's module; pointers are byte offsets into tfjs's heap. */
export interface WasmSimdKernels {
  conv2d_backprop_filter(
    x: number, dy: number, dw: number,
    batch: number, inHeight: number, inWidth: number, inChannels: number,
    outHeight: number, outWidth: number, outChannels: number,
    filterHeight: number, filterWidth: number, strideHeight: number, strideWidth: number,
    padTop: number, padLeft: number, outChannelBegin: number, outChannelEnd: number,
  ): void;
  /** term: 0 value, 1 square, 2 product with b (b unread otherwise). */
  channel_sums(term: number, a: number, b: number, out: number, rows: number, channels: number): void;
}

/** The parts of tfjs-backend-wasm's BackendWasm that the kernels' callers use. */
export interface WasmTensorBackend {
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** The parts of tfjs-backend-wasm's emscripten module that hold its heap and thread count. */
interface EmscriptenModule {
  wasmMemory?: WebAssembly.Memory; // threaded build
  asm?: { memory?: WebAssembly.Memory }; // 1-thread build
  _get_threads_count?: () => number;
}

/** The kernels on the calling thread, and workers to split a call across (threaded build only). */
export interface WasmSimd {
  readonly kernels: WasmSimdKernels;
  readonly pool: KernelThreadPool | undefined;
}

const EXPORT_NAMES: readonly (keyof WasmSimdKernels)[] = ['conv2d_backprop_filter', 'channel_sums'];

const instances = new WeakMap<WebAssembly.Memory, WasmSimd>();
let workersOn = true;

/** Lets tests run the split kernels on the calling thread alone (the same numbers, by design). */
export function setKernelWorkers(on: boolean): void {
  workersOn = on;
}

function emscriptenModule(backend: KernelParams['backend']): EmscriptenModule {
  return (backend as unknown as { wasm: EmscriptenModule }).wasm;
}

/** tfjs-backend-wasm's heap, which every kernel here imports. */
export function wasmHeapMemory(backend: KernelParams['backend']): WebAssembly.Memory {
  const module = emscriptenModule(backend);
  const memory = module.wasmMemory ?? module.asm?.memory;
  if (memory === undefined) throw new Error('tfjs-backend-wasm exposes no WebAssembly.Memory; vdm expects 4.22\'s emscripten module');
  return memory;
}

/**
 * The kernels, compiled once per heap (a process has one wasm backend, so once), and in the
 * threaded build as many workers as tfjs has threads, less the calling one. `pool` is undefined
 * while workers are off (setKernelWorkers).
 */
export function wasmSimd(backend: KernelParams['backend']): WasmSimd {
  const memory = wasmHeapMemory(backend);
  let simd = instances.get(memory);
  if (simd === undefined) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = new WebAssembly.Module(Buffer.from(shared ? SHARED_MEMORY_WASM : PLAIN_MEMORY_WASM, 'base64'));
    const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmSimdKernels;
    const threads = emscriptenModule(backend)._get_threads_count?.() ?? 1;
    const pool = shared && threads > 1 ? new KernelThreadPool(module, memory, EXPORT_NAMES, threads) : undefined;
    simd = { kernels, pool };
    instances.set(memory, simd);
  }
  return workersOn ? simd : { kernels: simd.kernels, pool: undefined };
}
