// `--which swa`: export writes the SWA average (model-swa.safetensors), flatness measures it into
// flatness-swa.json and landscape into tables marked swa, each beside the last weights' files; a
// run without SWA is refused (export) or skipped (flatness, landscape) with a one-line reason.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { exportCommand } from '../../src/commands/export.js';
import { flatnessCommand } from '../../src/commands/flatness.js';
import { landscapeCommand } from '../../src/commands/landscape.js';
import { loadRunConfig } from '../../src/config/index.js';
import { DataError, UsageError } from '../../src/errors.js';
import { trainRun } from '../../src/run/trainRun.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

before(async () => {
  await selectBackend('cpu');
});

const SET = ['epochs=2', 'model={name: mlp, hidden: [8]}', 'dataset.size=32', 'dataset.test_size=16'];
const quiet = () => {};

async function trained(extra: string[]): Promise<string> {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(tempDir()) });
  return (await trainRun({ config: loadRunConfig(join(dir, 'tiny.yaml'), [...SET, ...extra]), plain: true, log: quiet })).folder.dir;
}

/** The float32 values of a safetensors file, by name (read by the format: 8-byte header length, JSON header, data). */
function tensorsOf(file: string): Map<string, Float32Array> {
  const raw = readFileSync(file);
  const n = Number(raw.readBigUInt64LE(0));
  const header = JSON.parse(raw.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const data = raw.subarray(8 + n);
  const out = new Map<string, Float32Array>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__' || info.dtype !== 'F32') continue;
    const [start, stop] = info.data_offsets;
    out.set(name, new Float32Array(data.buffer.slice(data.byteOffset + start, data.byteOffset + stop)));
  }
  return out;
}

test('--which swa: export, flatness and landscape measure the average, in files of their own', async () => {
  const run = await trained(['swa={start_epoch: 1, lr: 0.01, anneal_epochs: 1}']);
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);
  await exportCommand(run, { which: 'swa' }, log);
  await exportCommand(run, {}, log);
  assert.match(lines[0]!, /model-swa\.safetensors: mlp after 2 epochs \(the SWA average of 2 epochs, BatchNorm statistics recomputed\)/);
  const [average, last] = [tensorsOf(join(run, 'model-swa.safetensors')), tensorsOf(join(run, 'model.safetensors'))];
  assert.deepEqual([...average.keys()], [...last.keys()]);
  assert.ok([...average].some(([name, values]) => values.some((v, i) => v !== last.get(name)![i])), 'the average is not the last weights');

  const small = { samples: 16, iterations: 2, probes: 2, ascentSteps: 1, noiseSamples: 2 };
  await flatnessCommand([run], { ...small, which: 'swa' }, log);
  assert.ok(existsSync(join(run, 'flatness-swa.json')));
  assert.ok(!existsSync(join(run, 'flatness.json')), 'the last weights\' file is not touched');
  assert.ok(lines.some((l) => l.startsWith(`${run} (SWA average): lambda_max`)), lines.join('\n'));

  await landscapeCommand([run], { which: 'swa', steps: '3', samples: '16', quiet: true }, log);
  await landscapeCommand([run], { steps: '3', samples: '16', quiet: true }, log);
  const tables = readdirSync(join(run, 'landscape')).filter((f) => f.endsWith('.csv'));
  assert.equal(tables.length, 2, tables.join(', '));
  assert.equal(tables.filter((f) => /-swa-[0-9a-f]{8}\.csv$/.test(f)).length, 1, tables.join(', '));
  const [swaTable, lastTable] = [tables.find((f) => f.includes('-swa-'))!, tables.find((f) => !f.includes('-swa-'))!].map((f) => readFileSync(join(run, 'landscape', f), 'utf8'));
  assert.notEqual(swaTable, lastTable);
});

test('--which swa on a run without SWA: export refuses it, flatness and landscape skip it, each in one line', async () => {
  const run = await trained([]);
  await assert.rejects(exportCommand(run, { which: 'swa' }, quiet), (e: unknown) => e instanceof DataError && /the run has no SWA average \(its config has no swa: block\)$/.test(e.message));
  const lines: string[] = [];
  await assert.rejects(flatnessCommand([run], { which: 'swa' }, (l) => void lines.push(l)), DataError);
  assert.deepEqual(lines, [`skipped ${run}: no SWA average (its config has no swa: block)`]);
  await assert.rejects(landscapeCommand([run], { which: 'swa' }, quiet), DataError);
  await assert.rejects(flatnessCommand([run], { which: 'best' }, quiet), (e: unknown) => e instanceof UsageError && e.message === "--which 'best' is not a choice; valid: last, swa");
});
