// Public surface of `vdm compare`: the computation, its types, and the renderers of its results.
export { compareRuns } from './compareRuns.js';
export type * from './types.js';
