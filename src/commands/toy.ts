// `vdm toy`: compare plain and deformed gradient descent on the built-in two-minimum surface.
import { selectBackend } from '../backend/resolve.js';
import { UsageError } from '../errors.js';
import { parseVdmChoice } from '../toy/choice.js';
import { toyReport } from '../toy/report.js';
import { runToy } from '../toy/run.js';
import { vdms } from '../vdms/index.js';

/**
 * Every entry that needs no parameters from the user (not expr's formula, not recorded_scale's
 * record of another run); `none` is the plain run anyway.
 */
export function defaultToyVdms(): string[] {
  return vdms
    .entries()
    .filter((entry) => entry.name !== 'none' && entry.stepSlopes === undefined && entry.params.safeParse({}).success)
    .map((entry) => entry.name);
}

export async function toyCommand(opts: { vdm: string[]; lr: number; starts: number; out: string }): Promise<string> {
  if (!(opts.lr > 0)) throw new UsageError(`--lr must be a positive number, got ${opts.lr}`);
  if (!(Number.isInteger(opts.starts) && opts.starts >= 1)) {
    throw new UsageError(`--starts must be a positive integer, got ${opts.starts}`);
  }
  await selectBackend('cpu'); // phi and phi' of two-parameter points: the cpu backend is fastest
  const names = opts.vdm.length ? opts.vdm : defaultToyVdms();
  const result = await runToy({ vdms: names.map(parseVdmChoice), lr: opts.lr, starts: opts.starts, out: opts.out });
  return toyReport(result);
}
