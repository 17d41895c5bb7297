// What a checkpoint holds of SWA: the averaged weights ('swa.params'), once training has ended
// the BatchNorm statistics recomputed for them ('swa.buffers'), and in the index the count of
// epochs averaged and the average's test figures. Saved with the rest of the state, in the same
// files, so that a checkpoint's average always belongs to its epoch.
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../../errors.js';
import type { TrainingParts } from '../trainer.js';
import type { SwaResult } from './average.js';

const PARAMS = 'swa.params';
const BUFFERS = 'swa.buffers';

/** The index's `swa` field. */
export interface SwaIndex {
  readonly averaged: number;
  readonly result: SwaResult | null;
}

export type ArrayGroup = [group: string, values: Float32Array[], shapes: number[][]];

export function swaArrayGroups(parts: TrainingParts): { groups: ArrayGroup[]; index: SwaIndex | undefined } {
  if (!parts.swa) return { groups: [], index: undefined };
  const state = parts.swa.average.getState();
  const groups: ArrayGroup[] = [];
  if (state.averaged > 0) groups.push([PARAMS, state.params, parts.model.params.map((p) => p.shape)]);
  if (state.buffers) groups.push([BUFFERS, state.buffers, parts.model.buffers.map((b) => b.shape)]);
  return { groups, index: { averaged: state.averaged, result: state.result } };
}

/** Restores the average from a checkpoint's groups (none saved: nothing averaged yet). */
export function restoreSwa(dir: string, parts: TrainingParts, byGroup: ReadonlyMap<string, Float32Array[]>, index: SwaIndex | undefined): void {
  if (!parts.swa) return;
  const averaged = index?.averaged ?? 0;
  const params = byGroup.get(PARAMS) ?? [];
  // A finished average has statistics: none saved for a model without BatchNorm means an empty list.
  const buffers = byGroup.get(BUFFERS) ?? (index?.result ? [] : null);
  const shapesFit = (values: Float32Array[], variables: readonly tf.Variable[]) => values.length === variables.length && values.every((v, i) => v.length === variables[i]!.size);
  if (!Number.isInteger(averaged) || averaged < 0 || (averaged > 0 && !shapesFit(params, parts.model.params)) || (buffers !== null && !shapesFit(buffers, parts.model.buffers))) {
    throw new DataError(`${dir}: checkpoint's SWA average does not fit the model (${params.length} arrays for ${parts.model.params.length} weights); pass --force to start the run over`);
  }
  parts.swa.average.setState(
    { averaged, params, buffers, result: index?.result ?? null },
    { params: parts.model.params.map((p) => p.shape), buffers: parts.model.buffers.map((b) => b.shape) },
  );
}

/** Puts the finished average (weights and recomputed statistics) into the model: what `--which swa` measures. */
export function assignAverage(dir: string, parts: TrainingParts): void {
  const average = parts.swa?.average;
  if (!average) throw new DataError(`${dir}: the run has no SWA average (its config has no swa: block)`);
  const { weights, buffers } = average;
  if (weights === null || buffers === null) {
    throw new DataError(`${dir}: the SWA average is not finished (${average.averaged} epochs averaged, BatchNorm statistics not recomputed): the run stopped before its last epoch`);
  }
  parts.model.params.forEach((p, i) => p.assign(weights[i]!));
  parts.model.buffers.forEach((b, i) => b.assign(buffers[i]!));
}
