// `vdm train`: load a config, train it in its run folder (src/run/trainRun.ts), report.
import { loadRunConfig } from '../config/index.js';
import { UsageError } from '../errors.js';
import { trainRun, type TrainResult } from '../run/trainRun.js';

export interface TrainCommandOptions {
  readonly config: string;
  readonly set?: string[];
  readonly force?: boolean;
  readonly resume?: boolean;
  readonly quiet?: boolean;
}

export async function trainCommand(options: TrainCommandOptions, log: (line: string) => void, signal?: AbortSignal): Promise<TrainResult> {
  if (!options.config) throw new UsageError('vdm train needs --config <file>');
  const config = loadRunConfig(options.config, options.set ?? []);
  const plain = options.quiet === true || !process.stderr.isTTY || Boolean(process.env.CI);
  const result = await trainRun({ config, force: options.force, resume: options.resume, plain, log, signal });
  const last = result.history.at(-1);
  if (last) log(`done: test acc ${(last.test_acc * 100).toFixed(2)}% after ${last.epoch} epochs; results in ${result.folder.dir}`);
  return result;
}
