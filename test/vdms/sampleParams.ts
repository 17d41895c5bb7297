// Parameters every registry entry can be tested with: its defaults, plus what has none (the
// formula of `expr`, the record `recorded_scale` reads).
import type { VdmEntry } from '../../src/vdms/types.js';

export const SAMPLE_FORMULA = 'log(1 + 3*L) + 0.1*atan(L)^2';

/** The parameters without a default, by VDM. */
export const REQUIRED_PARAMS: Readonly<Record<string, Record<string, unknown>>> = {
  expr: { phi: SAMPLE_FORMULA },
  recorded_scale: { steps: 'results/e/log/seed-{seed}/steps.csv' },
};

export function sampleParams(entry: VdmEntry): unknown {
  return entry.params.parse(REQUIRED_PARAMS[entry.name] ?? {});
}
