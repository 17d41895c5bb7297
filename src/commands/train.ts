// `vdm train`: load a config, train it in its run folder (src/run/trainRun.ts), report.
import { loadRunConfig } from '../config/index.js';
import { InterruptedError, UsageError } from '../errors.js';
import { runFolderFor } from '../run/runFolder.js';
import { trainRun, type TrainResult } from '../run/trainRun.js';
import { hasCheckpoint } from '../train/checkpoint.js';

export interface TrainCommandOptions {
  readonly config: string;
  readonly set?: string[];
  /** The run's name (its folder) instead of the config's or the overrides'. */
  readonly name?: string;
  readonly force?: boolean;
  readonly resume?: boolean;
  readonly quiet?: boolean;
}

export async function trainCommand(options: TrainCommandOptions, log: (line: string) => void, signal?: AbortSignal): Promise<TrainResult> {
  if (!options.config) throw new UsageError('vdm train needs --config <file>');
  const config = loadRunConfig(options.config, options.set ?? [], { name: options.name, renameByOverrides: true });
  const plain = options.quiet === true || !process.stderr.isTTY || Boolean(process.env.CI);
  let result: TrainResult;
  try {
    result = await trainRun({ config, force: options.force, resume: options.resume, plain, log, signal });
  } catch (error) {
    const folder = runFolderFor(config);
    if (!(error instanceof InterruptedError) || !hasCheckpoint(folder.dir)) throw error;
    const sets = (options.set ?? []).map((s) => ` --set ${JSON.stringify(s)}`).join('') + (options.name ? ` --name ${JSON.stringify(options.name)}` : '');
    throw new InterruptedError(`${error.message}; saved in ${folder.dir}; continue with: vdm train -c ${options.config}${sets} --resume`);
  }
  const last = result.history.at(-1);
  if (last) log(`done: test acc ${(last.test_acc * 100).toFixed(2)}% after ${last.epoch} epochs; results in ${result.folder.dir}`);
  return result;
}
