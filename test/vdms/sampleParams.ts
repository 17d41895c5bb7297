// Parameters every registry entry can be tested with: its defaults, plus a formula for `expr`.
import type { VdmEntry } from '../../src/vdms/types.js';

export const SAMPLE_FORMULA = 'log(1 + 3*L) + 0.1*atan(L)^2';

export function sampleParams(entry: VdmEntry): unknown {
  return entry.params.parse(entry.name === 'expr' ? { phi: SAMPLE_FORMULA } : {});
}
