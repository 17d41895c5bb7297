// The backend names a config or a flag may give, apart from resolve.ts so that the command line
// can list them without loading TensorFlow.js.
export type BackendChoice = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
/** Every choice, for the config schema and the command-line flags. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];
