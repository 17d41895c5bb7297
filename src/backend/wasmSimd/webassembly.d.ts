// The slice of the WebAssembly JS API that kernels.ts uses: @types/node 20 does not declare it,
// and TypeScript's own declaration comes with lib.dom, which a Node CLI should not pull in.
declare namespace WebAssembly {
  class Memory {
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}
