// Run folders hold what vdm writes; whatever else a user put there (notes, data) outlives
// `--force` and a fresh start, and the run says what it removed and what it kept.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig } from '../../src/config/index.js';
import { trainRun } from '../../src/run/trainRun.js';
import { tempDir } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

const SMALL = ['epochs=2', 'model={name: mlp, hidden: [8]}', 'dataset.size=32', 'dataset.test_size=16'];

function workspace() {
  const root = tempDir('vdm-userfiles-');
  const config = join(root, 'tiny.yaml');
  writeFileSync(config, tinyConfigYaml(join(root, 'out')));
  return { config: loadRunConfig(config, SMALL), run: join(root, 'out', 'tiny', 'seed-7') };
}

function putUserFiles(run: string): void {
  mkdirSync(join(run, 'data'), { recursive: true });
  writeFileSync(join(run, 'notes.txt'), 'my notes\n');
  writeFileSync(join(run, 'data', 'keep.bin'), Buffer.from([1, 2, 3]));
}

function assertUserFilesKept(run: string): void {
  assert.equal(readFileSync(join(run, 'notes.txt'), 'utf8'), 'my notes\n');
  assert.deepEqual([...readFileSync(join(run, 'data', 'keep.bin'))], [1, 2, 3]);
}

before(() => selectBackend('cpu'));

test('--force on a crashed run removes only what vdm wrote, keeps notes.txt and data/, and says which', async () => {
  const w = workspace();
  const controller = new AbortController();
  await assert.rejects(trainRun({ config: w.config, plain: true, signal: controller.signal, log: (l) => void (l.startsWith('epoch 1/') && controller.abort()) }));
  // A crash: the process died with run.json still 'running'.
  const record = JSON.parse(readFileSync(join(w.run, 'run.json'), 'utf8'));
  writeFileSync(join(w.run, 'run.json'), JSON.stringify({ ...record, status: 'running' }));
  putUserFiles(w.run);
  const lines: string[] = [];
  await trainRun({ config: w.config, plain: true, force: true, log: (l) => lines.push(l) });
  assertUserFilesKept(w.run);
  const said = lines.find((l) => l.startsWith('replaced the earlier run'));
  assert.ok(said, lines.join('\n'));
  assert.match(said, /removed .*checkpoint\.json.*metrics\.csv.*run\.json/);
  assert.match(said, /kept data, notes\.txt \(not written by vdm\)$/);
  assert.equal(JSON.parse(readFileSync(join(w.run, 'run.json'), 'utf8')).status, 'completed');
  assert.match(readFileSync(join(w.run, 'log.txt'), 'utf8'), /replaced the earlier run/);
});

test('a plain train into a folder holding only user files keeps them and removes nothing', async () => {
  const w = workspace();
  putUserFiles(w.run);
  const lines: string[] = [];
  await trainRun({ config: w.config, plain: true, log: (l) => lines.push(l) });
  assertUserFilesKept(w.run);
  assert.ok(!lines.some((l) => l.startsWith('replaced')), 'nothing was replaced');
  assert.ok(existsSync(join(w.run, 'metrics.csv')));
  assert.ok(readdirSync(w.run).includes('notes.txt'));
});
