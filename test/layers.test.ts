// The folders of src/ form layers and imports point down only: a library module never reaches up
// into a command, and no two folders import each other. The order is written out here so a new
// folder has to be placed on purpose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

/** Top to bottom; a folder may import only from folders on a lower line. */
const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['commands'],
  // vdm run --evidence: flatness, landscapes and the comparison of an experiment's runs.
  ['evidence'],
  ['launchers', 'landscape'],
  ['experiments', 'flatness', 'toy', 'compare', 'export'],
  ['run'],
  ['tensorboard'],
  ['train'],
  ['config'],
  ['models', 'datasets', 'optimizers', 'schedules', 'vdms'],
  ['backend'],
  ['registry', 'random', 'records'],
  // bounded reads and link-safe writes: every file vdm reads or writes goes through them
  ['files'],
  ['errors', 'shutdown'],
];

const rank = new Map(LAYERS.flatMap((folders, level) => folders.map((folder) => [folder, level] as const)));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** `src/a/b.ts` → `a`; `src/errors.ts` → `errors`. */
function topFolder(file: string): string {
  return relative(SRC, file).split(/[\\/]/)[0]!.replace(/\.(ts|js)$/, '');
}

interface Edge {
  readonly file: string;
  readonly from: string;
  readonly to: string;
}

function importEdges(): Edge[] {
  const pattern = /(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  return sourceFiles(SRC).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return [...text.matchAll(pattern)].map((m) => {
      const target = resolve(dirname(file), m[1] ?? m[2]!);
      return { file: relative(SRC, file), from: topFolder(file), to: topFolder(target) };
    }).filter((edge) => edge.from !== edge.to);
  });
}

test('every folder of src/ has a place in the layer order', () => {
  const folders = [...new Set(sourceFiles(SRC).map(topFolder))];
  const unplaced = folders.filter((folder) => !rank.has(folder));
  assert.deepEqual(unplaced, [], `add these to LAYERS in test/layers.test.ts: ${unplaced.join(', ')}`);
});

test('only the cli imports src/commands', () => {
  const upward = importEdges().filter((e) => e.to === 'commands' && e.from !== 'cli').map((e) => `${e.file} -> ${e.to}`);
  assert.deepEqual(upward, []);
});

test('imports point down the layers only (so no two folders import each other)', () => {
  const wrong = importEdges()
    .filter((e) => rank.has(e.from) && rank.has(e.to) && rank.get(e.to)! <= rank.get(e.from)!)
    .map((e) => `${e.file} -> ${e.to}`);
  assert.deepEqual([...new Set(wrong)], []);
});

test('the import scan sees the imports it checks', () => {
  // Guards the test itself: a pattern that matched nothing would pass every rule above.
  const edges = importEdges();
  assert.ok(edges.some((e) => e.file === join('cli', 'main.ts') && e.to === 'commands'));
  assert.ok(edges.some((e) => e.from === 'experiments' && e.to === 'run'));
});
