// A 2-D grid split into row chunks (what array tasks on a cluster compute) and merged equals the
// grid computed in one go, byte for byte; an interrupted chunk resumes; an unfinished chunk is
// never merged.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { selectBackend } from '../../src/backend/resolve.js';
import { DataError, InterruptedError, UsageError } from '../../src/errors.js';
import { gridChunks } from '../../src/landscape/chunks.js';
import { computeGrid, landscapeFiles } from '../../src/landscape/grid.js';
import { chunkStates, mergeChunks } from '../../src/landscape/mergeChunks.js';
import type { LandscapeSettings } from '../../src/landscape/settings.js';
import { tempDir } from '../helpers/files.js';
import { fakeRun, quadraticModel } from './quadratic.js';

before(async () => {
  await selectBackend('cpu');
});

const grid: LandscapeSettings = { kind: '2d', range: [-0.5, 0.5], steps: 5, samples: 8, seed: 3, ignore: 'none', bn: 'stored', splits: ['train'], batchSize: null, partner: null };

test('chunks are whole rows in grid order, the first ones a row longer; K outside 1..rows is refused', () => {
  assert.deepEqual(gridChunks(grid, 2).map((c) => [c.from, c.to]), [[0, 15], [15, 25]]);
  assert.deepEqual(gridChunks(grid, 3).map((c) => [c.from, c.to]), [[0, 10], [10, 20], [20, 25]]);
  assert.deepEqual(gridChunks(grid, 5).map((c) => c.to - c.from), [5, 5, 5, 5, 5]);
  assert.deepEqual(gridChunks({ ...grid, kind: '1d', steps: 7 }, 3).map((c) => [c.from, c.to]), [[0, 3], [3, 5], [5, 7]]);
  for (const bad of [0, 6, 1.5]) assert.throws(() => gridChunks(grid, bad), (e: unknown) => e instanceof UsageError && /grid of 5 rows splits into 1 to 5 chunks/.test(e.message));
});

test('a 5x5 grid in 2 or 3 chunks, merged, equals the grid computed in one go, value for value', async () => {
  const model = quadraticModel();
  const whole = await computeGrid(fakeRun(tempDir(), model), grid);
  const expected = readFileSync(whole.csv, 'utf8');
  for (const count of [2, 3]) {
    const dir = tempDir();
    // Chunks in reverse order, as tasks may finish: each writes only its own file.
    for (const chunk of gridChunks(grid, count).reverse()) {
      const part = await computeGrid(fakeRun(dir, model), grid, {}, undefined, chunk);
      assert.equal(part.computed, chunk.to - chunk.from);
      assert.notEqual(part.csv, landscapeFiles(dir, grid).csv);
    }
    assert.equal(readFileSync(mergeChunks(dir, grid, count), 'utf8'), expected, `${count} chunks`);
    // The merged grid is complete: computing it again (what the report does) computes nothing.
    assert.equal((await computeGrid(fakeRun(dir, model), grid)).computed, 0);
  }
});

test('an interrupted chunk resumes from its rows; an unfinished or altered chunk is not merged', async () => {
  const model = quadraticModel();
  const expected = readFileSync((await computeGrid(fakeRun(tempDir(), model), grid)).csv, 'utf8');
  const dir = tempDir();
  const [first, second] = gridChunks(grid, 2);
  await computeGrid(fakeRun(dir, model), grid, {}, undefined, first);
  const controller = new AbortController();
  let written = 0;
  await assert.rejects(
    computeGrid(fakeRun(dir, model), grid, { signal: controller.signal, onPoint: () => ++written === 4 && controller.abort() }, undefined, second),
    (e: unknown) => e instanceof InterruptedError && /interrupted after 4 of 10 points/.test(e.message),
  );
  assert.deepEqual(chunkStates(dir, grid, 2).map((s) => s.done), [15, 4]);
  assert.throws(() => mergeChunks(dir, grid, 2), (e: unknown) => e instanceof DataError && /chunk 2 of 2 has 4 of its 10 points/.test(e.message));
  assert.equal((await computeGrid(fakeRun(dir, model), grid, {}, undefined, second)).computed, 6);
  // A chunk whose coordinates are not its rows' (a file from another grid) is refused by name.
  const [state] = chunkStates(dir, grid, 2);
  const text = readFileSync(state.csv, 'utf8');
  writeFileSync(state.csv, text.replace(/\n-0\.5,-0\.5,/, '\n-0.4,-0.5,'));
  assert.throws(() => mergeChunks(dir, grid, 2), (e: unknown) => e instanceof DataError && /line 2 is not point 1 of this grid/.test(e.message));
  writeFileSync(state.csv, text);
  assert.equal(readFileSync(mergeChunks(dir, grid, 2), 'utf8'), expected);
});
