// Public surface of `vdm compare`: the computation, its types, and the renderers and writers of its results.
export { compareRuns } from './compareRuns.js';
export { formatComparison, outputFormats, type OutputFormat } from './formats.js';
export { writeComparisonOutputs, type OutputPaths } from './writeOutputs.js';
export type * from './types.js';
export type { ReportExtras, RenderedPlot } from './report.js';
