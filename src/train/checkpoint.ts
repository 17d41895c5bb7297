// Checkpoints for exact resume: weights, BatchNorm statistics, optimizer slots, the deformation's
// state and the epochs so far. Data order and augmentation are functions of (seed, epoch) and
// the schedule of the step count, so this is all a run needs to continue bit for bit.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { cacheOnHost } from '../backend/webgpu.js';
import { DataError } from '../errors.js';
import type { OptimizerState } from '../optimizers/types.js';
import type { DeformationState } from '../vdms/deformation.js';
import type { EpochMetrics, TrainingHook } from './hooks.js';
import type { TrainingParts } from './trainer.js';

const FORMAT = 1;

interface CheckpointIndex {
  readonly format: number;
  readonly epoch: number;
  readonly history: EpochMetrics[];
  readonly deformation: DeformationState;
  readonly optimizerStep: number;
  /** Byte layout of checkpoint.bin: each array's group, shape and length, in order. */
  readonly arrays: { group: string; shape: number[]; length: number }[];
}

export function checkpointDir(runDir: string): string {
  return join(runDir, 'checkpoint');
}

export function hasCheckpoint(runDir: string): boolean {
  return existsSync(join(checkpointDir(runDir), 'checkpoint.json'));
}

/** Writes into a fresh folder, then swaps it in, so a crash never leaves half a checkpoint. */
export function saveCheckpoint(runDir: string, parts: TrainingParts, history: readonly EpochMetrics[]): void {
  const optimizer = parts.optimizer.getState();
  const groups: [string, Float32Array[], number[][]][] = [
    ['params', parts.model.params.map((p) => p.dataSync() as Float32Array), parts.model.params.map((p) => p.shape)],
    ['buffers', parts.model.buffers.map((b) => b.dataSync() as Float32Array), parts.model.buffers.map((b) => b.shape)],
    ...Object.entries(optimizer.slots).map(([slot, arrays]): [string, Float32Array[], number[][]] => [
      `optimizer.${slot}`, arrays, arrays.map((a) => [a.length]),
    ]),
  ];
  const arrays = groups.flatMap(([group, values, shapes]) => values.map((v, i) => ({ group, shape: shapes[i], length: v.length, v })));
  const index: CheckpointIndex = {
    format: FORMAT,
    epoch: history.length,
    history: [...history],
    deformation: parts.deformation.getState(),
    optimizerStep: optimizer.step,
    arrays: arrays.map(({ group, shape, length }) => ({ group, shape, length })),
  };
  const final = checkpointDir(runDir);
  const fresh = `${final}.tmp-${process.pid}`;
  rmSync(fresh, { recursive: true, force: true });
  mkdirSync(fresh);
  writeFileSync(join(fresh, 'checkpoint.bin'), Buffer.concat(arrays.map(({ v }) => Buffer.from(v.buffer, v.byteOffset, v.byteLength))));
  writeFileSync(join(fresh, 'checkpoint.json'), `${JSON.stringify(index)}\n`);
  const old = `${final}.old-${process.pid}`;
  if (existsSync(final)) renameSync(final, old);
  renameSync(fresh, final);
  rmSync(old, { recursive: true, force: true });
}

/** Restores a run's state from its checkpoint and returns the epochs it had completed. */
export function restoreCheckpoint(runDir: string, parts: TrainingParts): EpochMetrics[] {
  const dir = checkpointDir(runDir);
  const index = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as CheckpointIndex;
  const bytes = readFileSync(join(dir, 'checkpoint.bin'));
  const expected = index.arrays.reduce((n, a) => n + a.length * 4, 0);
  if (index.format !== FORMAT || bytes.length !== expected) {
    throw new DataError(`${dir}: checkpoint is damaged or of another format (${bytes.length} bytes, expected ${expected})`);
  }
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const byGroup = new Map<string, Float32Array[]>();
  let offset = 0;
  for (const a of index.arrays) {
    byGroup.set(a.group, [...(byGroup.get(a.group) ?? []), floats.subarray(offset, offset + a.length)]);
    offset += a.length;
  }
  const assign = (variables: tf.Variable[], values: Float32Array[] = [], what: string) => {
    if (values.length !== variables.length) throw new DataError(`${dir}: checkpoint has ${values.length} ${what}, the model ${variables.length}`);
    variables.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(values[i], v.shape))));
  };
  assign(parts.model.params, byGroup.get('params'), 'weights');
  assign(parts.model.buffers, byGroup.get('buffers'), 'buffers');
  const slots: OptimizerState['slots'] = Object.fromEntries(
    [...byGroup].filter(([g]) => g.startsWith('optimizer.')).map(([g, values]) => [g.slice('optimizer.'.length), values]),
  );
  parts.optimizer.setState({ step: index.optimizerStep, slots }, parts.model.params);
  parts.deformation.setState(index.deformation);
  return index.history;
}

/** Saves a checkpoint after every epoch, so an interrupted run loses at most one epoch. */
export function checkpointHook(runDir: string, parts: TrainingParts, completed: readonly EpochMetrics[] = []): TrainingHook {
  const history = [...completed];
  return {
    async onEpochEnd(metrics) {
      history.push(metrics);
      await cacheOnHost(); // webgpu reads only asynchronously; saveCheckpoint reads synchronously
      saveCheckpoint(runDir, parts, history);
    },
  };
}
