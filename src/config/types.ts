// The validated, typed run config: what every command past the config boundary works with.
import type { BackendChoice } from '../backend/resolve.js';
import type { AugmentName } from '../datasets/types.js';
import type { VdmOptions } from '../vdms/types.js';
import type { SwaConfig } from './swa.js';

/** A registry-named block: the entry's name and its validated parameters (defaults filled). */
export interface NamedBlock {
  readonly name: string;
  readonly params: Record<string, unknown>;
}

export interface RunConfig {
  readonly name: string;
  readonly seed: number;
  readonly backend: BackendChoice;
  readonly epochs: number;
  readonly output: string;
  readonly model: NamedBlock;
  readonly dataset: NamedBlock & {
    readonly batch_size: number;
    readonly augment: AugmentName;
    readonly subset?: { readonly train?: number; readonly test?: number };
  };
  readonly optimizer: NamedBlock & { readonly lr: number; readonly weight_decay: number };
  /** stretch: absent unless set (config.yaml of runs made before it still match on resume). */
  readonly schedule: NamedBlock & { readonly warmup_epochs: number; readonly stretch?: number };
  readonly vdm: NamedBlock & { readonly options: VdmOptions };
  readonly logging: { readonly steps_every: number; readonly tensorboard: boolean };
  /** Which checkpoints a run keeps besides the latest. */
  readonly checkpoint: { readonly keep_last: number; readonly best: 'none' | 'test_acc' | 'test_loss' };
  /** Stochastic weight averaging, when the config has a `swa:` block. */
  readonly swa?: SwaConfig;
  /** The file it was read from (not part of the resolved YAML). */
  readonly source: string;
}
