// Checkpoints for exact resume: weights, BatchNorm statistics, optimizer slots, the deformation's
// state, the finished epochs and, after an interrupt, the unfinished epoch's position and sums.
// Data order and augmentation are functions of (seed, epoch) and the schedule of the step
// count, so this is all a run needs to continue bit for bit.
//
// On disk: numbered folders (checkpoint-000012/ with checkpoint.bin and checkpoint.json) and a
// small pointer, <run>/checkpoint.json, naming the current one with the sha256 of its files. A
// new checkpoint is written and fsynced in full before one atomic rename of the pointer makes it
// current; older folders are deleted only after that. A kill at any moment therefore leaves the
// pointer on a complete checkpoint. `checkpoint.keep_last` keeps the newest N folders; with
// `checkpoint.best` a second pointer, best.json, names the best epoch's folder, which is kept too.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { cacheOnHost } from '../backend/webgpu.js';
import { DataError, VdmError } from '../errors.js';
import { MiB, readBounded, readBoundedText, readBoundedTextIfPresent } from '../files/boundedRead.js';
import { writeNewFile } from '../files/safeWrite.js';
import type { OptimizerState } from '../optimizers/types.js';
import type { DeformationState } from '../vdms/deformation.js';
import type { EpochMetrics, EpochProgress, TrainingHook, TrainingPosition } from './hooks.js';
import { metricsCsvLine } from './hooks/metricsCsv.js';
import { assignAverage, restoreSwa, swaArrayGroups, type SwaIndex } from './swa/checkpoint.js';
import type { TrainingParts } from './trainer.js';

const FORMAT = 2;
const POINTER = 'checkpoint.json';
const BEST_POINTER = 'best.json';
const FOLDER = /^checkpoint-(\d{6,})$/;
/** Format 1: one checkpoint/ folder, swapped by two renames, no checksums. Still read. */
const LEGACY_FOLDER = 'checkpoint';

interface CheckpointPointer {
  readonly format: number;
  readonly current: string;
  readonly epoch: number;
  readonly batch: number;
  readonly bin_sha256: string;
  readonly index_sha256: string;
}

/** best.json: a pointer to the best epoch's folder, with the figure that made it the best. */
interface BestPointer extends CheckpointPointer {
  readonly metric: BestMetric;
  readonly value: number;
}

export type BestMetric = 'test_acc' | 'test_loss';

/** Which checkpoints outlive the next save (the config's `checkpoint:` block). */
export interface CheckpointRetention {
  /** The newest N numbered folders (N >= 1; the current one is the newest). */
  readonly keepLast: number;
  /** Also keep the folder of the epoch best by this figure, named by best.json. */
  readonly best: BestMetric | 'none';
}

export const DEFAULT_RETENTION: CheckpointRetention = { keepLast: 1, best: 'none' };

/**
 * Which checkpoint a reader wants: the latest (resume always takes it), the best epoch's, or the
 * SWA average the latest one holds (with its recomputed BatchNorm statistics).
 */
export type CheckpointChoice = 'last' | 'best' | 'swa';

interface CheckpointIndex {
  readonly format: number;
  /** Finished epochs; the history's length. */
  readonly epoch: number;
  readonly history: EpochMetrics[];
  /** The unfinished epoch, when the run was interrupted inside it. */
  readonly partial?: EpochProgress | null;
  readonly deformation: DeformationState;
  readonly optimizerStep: number;
  /** A run with a swa: block: epochs averaged and, once finished, the average's figures. */
  readonly swa?: SwaIndex;
  /** Byte layout of checkpoint.bin: each array's group, shape and length, in order. */
  readonly arrays: { group: string; shape: number[]; length: number }[];
}

/** The moments between the steps of a save, where a test makes the process die. */
export type CheckpointStep = 'folder-written' | 'folder-renamed' | 'pointer-written' | 'pointer-switched';

/**
 * Test hook: VDM_TEST_CRASH_AT=<step>[:<n>] kills the process with SIGKILL (no cleanup, as a power
 * cut or the OOM killer would) at that step of its n-th save (default 1st), so the kill-and-resume
 * tests can hit each step. Unset, it does nothing.
 */
const crashCounts = new Map<CheckpointStep, number>();
function crashForTests(step: CheckpointStep): void {
  const [at, nth = '1'] = (process.env.VDM_TEST_CRASH_AT ?? '').split(':');
  if (at !== step) return;
  crashCounts.set(step, (crashCounts.get(step) ?? 0) + 1);
  if (crashCounts.get(step) === Number(nth)) process.kill(process.pid, 'SIGKILL');
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Created exclusively: a link planted at a temporary name is refused, never written through. */
function writeSynced(path: string, bytes: Buffer | string): void {
  writeNewFile(path, bytes, true);
}

/** A pointer is a few hundred bytes. */
const POINTER_LIMIT = { maxBytes: 64 * 1024, what: 'checkpoint pointer' } as const;
/** The index holds the history: ~400 bytes an epoch, 100 000 epochs at most, and the array layout. */
const INDEX_LIMIT = { maxBytes: 64 * MiB, what: 'checkpoint.json' } as const;
/** metrics.csv: ~150 bytes a row, 100 000 epochs at most. */
const METRICS_LIMIT = { maxBytes: 32 * MiB, what: 'metrics.csv' } as const;

/** checkpoint.bin holds float32 arrays of exactly the lengths its index lists. */
function binLimit(index: CheckpointIndex): { maxBytes: number; what: string } {
  const floats = Array.isArray(index?.arrays) ? index.arrays.reduce((n, a) => n + (Number.isSafeInteger(a?.length) && a.length > 0 ? a.length : 0), 0) : 0;
  return { maxBytes: floats * 4, what: 'checkpoint.bin' };
}

/** Makes a rename or creation inside `dir` durable. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readPointer(runDir: string, file: string = POINTER): CheckpointPointer | undefined {
  const path = join(runDir, file);
  if (!existsSync(path)) return undefined;
  let pointer: CheckpointPointer;
  const text = readBoundedText(path, POINTER_LIMIT); // a FIFO or /dev/zero is refused by name
  try {
    pointer = JSON.parse(text) as CheckpointPointer;
  } catch (error) {
    throw new DataError(`${path}: not a valid checkpoint pointer (${(error as Error).message}); pass --force to start the run over`);
  }
  if (pointer?.format !== FORMAT || typeof pointer.current !== 'string' || !FOLDER.test(pointer.current)) {
    throw new DataError(`${path}: not a checkpoint pointer of format ${FORMAT}; pass --force to start the run over`);
  }
  return pointer;
}

function folderNumbers(runDir: string): number[] {
  if (!existsSync(runDir)) return [];
  return readdirSync(runDir).flatMap((name) => {
    const match = FOLDER.exec(name);
    return match ? [Number(match[1])] : [];
  });
}

const folderName = (n: number) => `checkpoint-${String(n).padStart(6, '0')}`;

export function hasCheckpoint(runDir: string): boolean {
  return existsSync(join(runDir, POINTER)) || existsSync(join(runDir, LEGACY_FOLDER, 'checkpoint.json'));
}

/** The folder holding the current checkpoint (for messages). */
export function checkpointDir(runDir: string): string {
  const pointer = existsSync(join(runDir, POINTER)) ? readPointer(runDir) : undefined;
  return join(runDir, pointer?.current ?? LEGACY_FOLDER);
}

/**
 * Writes a new checkpoint folder, then switches the pointer to it, then (at an epoch's end, when
 * it is the best so far) best.json, then deletes the folders neither kept nor named.
 */
export function saveCheckpoint(
  runDir: string,
  parts: TrainingParts,
  position: TrainingPosition,
  atStep: (step: CheckpointStep) => void = crashForTests,
  retention: CheckpointRetention = DEFAULT_RETENTION,
): void {
  const optimizer = parts.optimizer.getState();
  const swa = swaArrayGroups(parts);
  const groups: [string, Float32Array[], number[][]][] = [
    ['params', parts.model.params.map((p) => p.dataSync() as Float32Array), parts.model.params.map((p) => p.shape)],
    ['buffers', parts.model.buffers.map((b) => b.dataSync() as Float32Array), parts.model.buffers.map((b) => b.shape)],
    ...Object.entries(optimizer.slots).map(([slot, arrays]): [string, Float32Array[], number[][]] => [
      `optimizer.${slot}`, arrays, arrays.map((a) => [a.length]),
    ]),
    ...swa.groups,
  ];
  const arrays = groups.flatMap(([group, values, shapes]) => values.map((v, i) => ({ group, shape: shapes[i], length: v.length, v })));
  const index: CheckpointIndex = {
    format: FORMAT,
    epoch: position.history.length,
    history: [...position.history],
    partial: position.partial ?? null,
    deformation: parts.deformation.getState(),
    optimizerStep: optimizer.step,
    ...(swa.index ? { swa: swa.index } : {}),
    arrays: arrays.map(({ group, shape, length }) => ({ group, shape, length })),
  };
  const bin = Buffer.concat(arrays.map(({ v }) => Buffer.from(v.buffer, v.byteOffset, v.byteLength)));
  const indexText = `${JSON.stringify(index)}\n`;

  const name = folderName(Math.max(0, ...folderNumbers(runDir)) + 1);
  const fresh = join(runDir, `${name}.tmp-${process.pid}`);
  rmSync(fresh, { recursive: true, force: true });
  mkdirSync(fresh);
  writeSynced(join(fresh, 'checkpoint.bin'), bin);
  writeSynced(join(fresh, 'checkpoint.json'), indexText);
  syncDir(fresh);
  atStep('folder-written');
  renameSync(fresh, join(runDir, name));
  syncDir(runDir);
  atStep('folder-renamed');
  const pointer: CheckpointPointer = {
    format: FORMAT, current: name, epoch: index.epoch, batch: position.partial?.batch ?? 0,
    bin_sha256: sha256(bin), index_sha256: sha256(indexText),
  };
  const pointerTmp = join(runDir, `${POINTER}.tmp-${process.pid}`);
  writeSynced(pointerTmp, `${JSON.stringify(pointer, null, 2)}\n`);
  atStep('pointer-written');
  renameSync(pointerTmp, join(runDir, POINTER)); // the switch
  syncDir(runDir);
  atStep('pointer-switched');
  // Only a finished epoch competes for best: an interrupt's checkpoint has no test figures.
  const last = position.partial ? undefined : position.history.at(-1);
  if (retention.best !== 'none' && last && isBetter(retention.best, last[retention.best], readBest(runDir))) {
    const best: BestPointer = { ...pointer, metric: retention.best, value: last[retention.best] };
    writePointer(runDir, BEST_POINTER, best);
  }
  removeOldCheckpoints(runDir, retention);
}

function writePointer(runDir: string, file: string, pointer: CheckpointPointer | BestPointer): void {
  const tmp = join(runDir, `${file}.tmp-${process.pid}`);
  writeSynced(tmp, `${JSON.stringify(pointer, null, 2)}\n`);
  renameSync(tmp, join(runDir, file));
  syncDir(runDir);
}

/** best.json, if the run keeps one; unreadable counts as none (the next best epoch replaces it). */
function readBest(runDir: string): BestPointer | undefined {
  try {
    const best = readPointer(runDir, BEST_POINTER) as BestPointer | undefined;
    return best && typeof best.value === 'number' ? best : undefined;
  } catch {
    return undefined;
  }
}

function isBetter(metric: BestMetric, value: number, best: BestPointer | undefined): boolean {
  if (!Number.isFinite(value)) return false;
  // A best.json of another metric (the config changed between resumes) is replaced.
  if (best === undefined || best.metric !== metric) return true;
  return metric === 'test_acc' ? value > best.value : value < best.value;
}

/** Deletes numbered folders older than the newest `keepLast`, except the one best.json names. */
function removeOldCheckpoints(runDir: string, retention: CheckpointRetention): void {
  const kept = new Set(folderNumbers(runDir).sort((a, b) => b - a).slice(0, Math.max(1, retention.keepLast)).map(folderName));
  const best = retention.best === 'none' ? undefined : readBest(runDir)?.current;
  if (best) kept.add(best);
  for (const entry of readdirSync(runDir)) {
    if ((FOLDER.test(entry) && !kept.has(entry)) || entry === LEGACY_FOLDER) rmSync(join(runDir, entry), { recursive: true, force: true });
  }
  if (retention.best === 'none') rmSync(join(runDir, BEST_POINTER), { force: true }); // names nothing kept now
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what a killed process left: its `*.tmp-PID` and `*.old-PID` files and folders, and
 * checkpoint folders newer than the one the pointer names (written, but never switched to).
 * Older folders are kept ones (keep_last, best); the next save prunes any surplus. Files of a
 * live process are left alone.
 */
export function cleanStaleFiles(runDir: string): string[] {
  const current = readPointer(runDir)?.current;
  const currentNumber = current === undefined ? undefined : Number(FOLDER.exec(current)![1]);
  const removed: string[] = [];
  for (const entry of readdirSync(runDir)) {
    const temporary = /\.(?:tmp|old)-(\d+)$/.exec(entry);
    const folder = FOLDER.exec(entry);
    const stale = temporary ? Number(temporary[1]) === process.pid || !isAlive(Number(temporary[1])) : currentNumber !== undefined && folder !== null && Number(folder[1]) > currentNumber;
    if (stale) {
      rmSync(join(runDir, entry), { recursive: true, force: true });
      removed.push(entry);
    }
  }
  return removed;
}

function readVerified(runDir: string, which: CheckpointChoice = 'last'): { dir: string; index: CheckpointIndex; bytes: Buffer } {
  const pointerFile = which === 'best' ? BEST_POINTER : POINTER;
  const pointer = readPointer(runDir, pointerFile);
  if (pointer === undefined && which === 'best') {
    throw new DataError(`${runDir}: no best checkpoint (${BEST_POINTER}); the run kept none: set checkpoint.best: test_acc in its config`);
  }
  if (pointer === undefined) {
    const dir = join(runDir, LEGACY_FOLDER);
    if (!existsSync(join(dir, 'checkpoint.json'))) throw new DataError(`${runDir}: no checkpoint to resume from`);
    const index = parseIndex(dir, readBoundedText(join(dir, 'checkpoint.json'), INDEX_LIMIT));
    return { dir, index, bytes: readBounded(join(dir, 'checkpoint.bin'), binLimit(index)) };
  }
  const dir = join(runDir, pointer.current);
  let indexText: string;
  let bytes: Buffer;
  try {
    indexText = readBoundedText(join(dir, 'checkpoint.json'), INDEX_LIMIT);
    // The index says how large the bin can be; an index that does not parse fails the checksum below.
    let layout: CheckpointIndex | undefined;
    try {
      layout = JSON.parse(indexText) as CheckpointIndex;
    } catch {
      layout = undefined;
    }
    bytes = layout === undefined ? Buffer.alloc(0) : readBounded(join(dir, 'checkpoint.bin'), binLimit(layout));
  } catch (error) {
    if (error instanceof VdmError) throw error;
    throw new DataError(`${dir}: checkpoint is damaged (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass --force to start the run over`);
  }
  if (sha256(bytes) !== pointer.bin_sha256 || sha256(indexText) !== pointer.index_sha256) {
    throw new DataError(`${dir}: checkpoint is damaged (sha256 differs from ${join(runDir, pointerFile)}); pass --force to start the run over`);
  }
  return { dir, index: parseIndex(dir, indexText), bytes };
}

function parseIndex(dir: string, text: string): CheckpointIndex {
  try {
    return JSON.parse(text) as CheckpointIndex;
  } catch {
    throw new DataError(`${dir}/checkpoint.json: checkpoint is damaged (not valid JSON); pass --force to start the run over`);
  }
}

/** The data rows of metrics.csv, without the header (a missing file has none). */
function metricsRows(path: string): string[] {
  const text = readBoundedTextIfPresent(path, METRICS_LIMIT);
  return text === undefined ? [] : text.split('\n').slice(1).filter((line) => line !== '');
}

/**
 * The checkpoint must continue metrics.csv: its history is the file's first rows, and the file
 * has at most one row more (written at an epoch's end just before a checkpoint that never came).
 * Anything else means one of the two was replaced or edited, and resuming would write wrong rows.
 */
function checkAgainstMetrics(dir: string, index: CheckpointIndex, metricsCsv: string, parts: TrainingParts): void {
  const { history, partial } = index;
  // The optimizer counts its steps: a history cut short would not account for all of them.
  const batchesPerEpoch = Math.ceil(parts.dataset.size('train') / parts.batchSize);
  const steps = history.length * batchesPerEpoch + (partial?.batch ?? 0);
  const consistent =
    index.epoch === history.length && history.every((m, i) => m.epoch === i + 1) && (!partial || partial.epoch === history.length + 1) && index.optimizerStep === steps;
  if (!consistent) {
    throw new DataError(
      `${dir}: checkpoint is damaged (its history of ${history.length} epochs accounts for ${steps} steps, its optimizer took ${index.optimizerStep}); pass --force to start the run over`,
    );
  }
  const rows = metricsRows(metricsCsv);
  const differing = history.findIndex((m, i) => rows[i] !== metricsCsvLine(m, parts.dataset.numClasses));
  if (rows.length < history.length || rows.length > history.length + 1 || differing >= 0) {
    const where = differing >= 0 && differing < rows.length ? `; row ${differing + 1} differs` : '';
    throw new DataError(
      `${dir}: checkpoint holds ${history.length} epochs but ${metricsCsv} has ${rows.length} rows${where}; pass --force to start the run over`,
    );
  }
}

export interface RestoreOptions {
  /** Check the checkpoint against this metrics.csv (resume); flatness reads a finished run without it. */
  readonly metricsCsv?: string;
  /** The latest checkpoint (default; resume always takes it), the best epoch's (best.json), or the latest's SWA average. */
  readonly which?: CheckpointChoice;
}

/** Restores a run's state from its current checkpoint and returns where it stood. */
export function restoreCheckpoint(runDir: string, parts: TrainingParts, options: RestoreOptions = {}): TrainingPosition {
  const { dir, index, bytes } = readVerified(runDir, options.which);
  const expected = index.arrays?.reduce((n, a) => n + a.length * 4, 0);
  if ((index.format !== FORMAT && index.format !== 1) || bytes.length !== expected) {
    throw new DataError(`${dir}: checkpoint is damaged or of another format (${bytes.length} bytes, expected ${expected})`);
  }
  if (options.metricsCsv) checkAgainstMetrics(dir, index, options.metricsCsv, parts);
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
  restoreSwa(dir, parts, byGroup, index.swa);
  if (options.which === 'swa') assignAverage(runDir, parts);
  return { history: index.history, partial: index.partial ?? undefined };
}

/**
 * Saves a checkpoint after every epoch, and of the exact step reached when interrupted, so an
 * interrupted run loses nothing and a killed one at most an epoch. Put it after the metrics.csv
 * hook: the check on resume expects the row to be written before its checkpoint.
 */
export function checkpointHook(runDir: string, parts: TrainingParts, completed: readonly EpochMetrics[] = [], retention: CheckpointRetention = DEFAULT_RETENTION): TrainingHook {
  const history = [...completed];
  return {
    async onEpochEnd(metrics) {
      history.push(metrics);
      await cacheOnHost(); // webgpu reads only asynchronously; saveCheckpoint reads synchronously
      saveCheckpoint(runDir, parts, { history }, crashForTests, retention);
    },
    async onInterrupt(position) {
      await cacheOnHost();
      if (position.partial && position.partial.batch > 0) saveCheckpoint(runDir, parts, position, crashForTests, retention);
    },
  };
}
