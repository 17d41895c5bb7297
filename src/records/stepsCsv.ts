// Reads a finished run's steps.csv (one row per training step) back as columns, for what trains
// from another run's record: the `recorded` schedule and the step-size control's `recorded_scale`.
import { asFileSystemError, UsageError, VdmError } from '../errors.js';
import { readBoundedTextIfPresent } from '../files/boundedRead.js';

/** The columns of steps 1..needed (index = global step, 0-based). */
export interface StepRecord {
  readonly file: string;
  readonly epoch: Int32Array;
  readonly lr: Float64Array;
  readonly loss: Float64Array;
  readonly gradScale: Float64Array;
}

/** ~100 bytes a row: room for 2.5 million steps (ImageNet for 90 epochs is 450 000). */
const MAX_BYTES = 256 * 1024 * 1024;

/** Why a record is missing or short: the run it comes from has not finished. */
const NOT_COMPLETED = 'source run not completed (a run that trains from another run\'s steps.csv starts after that run has finished)';

function readText(file: string): string {
  let text: string | undefined;
  try {
    // A FIFO would block the open and /dev/zero never ends: only regular files are read.
    text = readBoundedTextIfPresent(file, { maxBytes: MAX_BYTES, what: 'steps.csv', expected: "a run's steps.csv" });
  } catch (error) {
    throw error instanceof VdmError ? error : asFileSystemError(error, 'read', file);
  }
  if (text === undefined) throw new UsageError(`${file} does not exist: ${NOT_COMPLETED}`);
  return text;
}

/** Parses steps.csv text; every step 1..needed must be there, in order, with finite values. */
export function parseStepsCsv(text: string, file: string, needed: number): StepRecord {
  const lines = text.split('\n').filter((line) => line !== '');
  const header = (lines[0] ?? '').split(',');
  const column = (name: string) => {
    const at = header.indexOf(name);
    if (at < 0) throw new UsageError(`${file}: not a steps.csv (no '${name}' column in its header)`);
    return at;
  };
  const at = { step: column('step'), epoch: column('epoch'), lr: column('lr'), loss: column('loss'), gradScale: column('grad_scale') };
  const record = {
    file,
    epoch: new Int32Array(needed),
    lr: new Float64Array(needed),
    loss: new Float64Array(needed),
    gradScale: new Float64Array(needed),
  };
  let rows = 0;
  for (const line of lines.slice(1)) {
    if (rows === needed) break; // a longer source: its first `needed` steps
    const cells = line.split(',');
    const step = Number(cells[at.step]);
    // Every step in order: steps_every > 1, or rows from two runs, would silently stretch the record.
    if (step !== rows + 1) {
      throw new UsageError(`${file}: row ${rows + 2} is step ${cells[at.step]}, expected ${rows + 1} (the source run must write every step: logging.steps_every 1)`);
    }
    const values = { lr: Number(cells[at.lr]), loss: Number(cells[at.loss]), gradScale: Number(cells[at.gradScale]) };
    for (const [name, value] of Object.entries(values)) {
      // A diverged source has NaN losses: a control cannot follow a run that has no step sizes.
      if (!Number.isFinite(value) || value < 0) throw new UsageError(`${file}: step ${step} has ${name} ${cells[at[name as keyof typeof values]]}, not a finite value >= 0`);
    }
    record.epoch[rows] = Number(cells[at.epoch]);
    record.lr[rows] = values.lr;
    record.loss[rows] = values.loss;
    record.gradScale[rows] = values.gradScale;
    rows++;
  }
  if (rows < needed) throw new UsageError(`${file} records ${rows} of the ${needed} steps this run needs: ${NOT_COMPLETED}`);
  return record;
}

/** The record of steps 1..needed of the run whose steps.csv is `file`. */
export function readStepsCsv(file: string, needed: number): StepRecord {
  return parseStepsCsv(readText(file), file, needed);
}
