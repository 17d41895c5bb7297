// Where a webgpu training step's time goes: one ResNet-20 step under tf.profile, its kernels
// grouped by name (GPU time per kernel where the adapter has timestamp queries, else counts only).
import * as tf from '@tensorflow/tfjs';
import { buildDataset, buildTrainingParts } from '../../src/train/build.js';
import { trainStep, type StepInput } from '../../src/train/step.js';
import type { Batch } from '../../src/datasets/types.js';
import { RandomStream } from '../../src/random.js';
import { MODEL_CASES, benchConfig } from '../training/setup.js';

export interface KernelRow {
  readonly kernel: string;
  readonly calls: number;
  /** Summed kernel time; null where the backend could not time kernels. */
  readonly ms: number | null;
}

/** One warm-up step, then one profiled step; rows sorted by time (or calls), largest first. */
export async function profileStep(batchSize: number, side: number): Promise<{ rows: KernelRow[]; wallMs: number }> {
  const config = benchConfig({ ...MODEL_CASES.resnet20, batchSize, shape: [side, side, 3] }, 'webgpu', 'none');
  const dataset = await buildDataset(config);
  const parts = buildTrainingParts(config, dataset);
  const input: StepInput = { ...parts, inputShape: dataset.inputShape, numClasses: dataset.numClasses };
  const batches = dataset.batches('train', { batchSize, rng: RandomStream.derive(1, 'data', 1) });
  const next = async () => (await batches.next()).value as Batch;
  await trainStep(input, await next(), 0.05, 1);
  const batch = await next();
  const start = performance.now();
  const info = await tf.profile(async () => {
    await trainStep(input, batch, 0.05, 1);
  });
  const wallMs = performance.now() - start;
  const byName = new Map<string, { calls: number; ms: number | null }>();
  for (const kernel of info.kernels) {
    const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : null;
    const row = byName.get(kernel.name) ?? { calls: 0, ms: ms === null ? null : 0 };
    row.calls += 1;
    if (row.ms !== null && ms !== null) row.ms += ms;
    byName.set(kernel.name, row);
  }
  parts.optimizer.dispose();
  await dataset.close?.();
  const rows = [...byName].map(([kernel, r]) => ({ kernel, ...r }));
  rows.sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0) || b.calls - a.calls);
  return { rows, wallMs };
}

export function formatKernelTable(rows: readonly KernelRow[], top = 25): string[] {
  const total = rows.reduce((t, r) => t + (r.ms ?? 0), 0);
  const timed = rows.some((r) => r.ms !== null);
  const lines = [`${'kernel'.padEnd(28)} ${'calls'.padStart(6)} ${timed ? `${'ms'.padStart(9)}  share` : '(no kernel timing on this adapter)'}`];
  for (const r of rows.slice(0, top)) {
    const time = r.ms === null ? '' : `${r.ms.toFixed(2).padStart(9)}  ${((100 * r.ms) / (total || 1)).toFixed(1).padStart(5)}%`;
    lines.push(`${r.kernel.padEnd(28)} ${String(r.calls).padStart(6)} ${time}`);
  }
  if (rows.length > top) lines.push(`(${rows.length - top} more kernels)`);
  return lines;
}
