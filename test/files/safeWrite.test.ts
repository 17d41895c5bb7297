// Every way vdm writes a file refuses a symbolic link or special file planted where the file goes,
// and leaves the file the link points to untouched; temporaries are created exclusively.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileRefusedError } from '../../src/errors.js';
import { appendToFile, makeFolder, openForAppend, writeFileAtomic, writeJsonAtomic, writeNewFile } from '../../src/files/safeWrite.js';
import { tempDir } from '../helpers/files.js';

const writers: { name: string; write: (path: string) => void }[] = [
  { name: 'writeFileAtomic', write: (p) => writeFileAtomic(p, 'new\n') },
  { name: 'writeJsonAtomic', write: (p) => writeJsonAtomic(p, { a: 1 }) },
  { name: 'appendToFile', write: (p) => appendToFile(p, 'row\n') },
  { name: 'openForAppend', write: (p) => closeSync(openForAppend(p)) },
  { name: 'writeNewFile', write: (p) => writeNewFile(p, 'x') },
];

/** A folder with `victim.txt` outside the "run" and a link to it at run/<name>. */
function planted(name = 'metrics.csv') {
  const root = tempDir('vdm-safewrite-');
  const run = join(root, 'run');
  mkdirSync(run);
  const victim = join(root, 'victim.txt');
  writeFileSync(victim, 'keep me\n');
  symlinkSync(victim, join(run, name));
  return { root, run, victim, at: join(run, name) };
}

for (const { name, write } of writers) {
  test(`${name}: a link where the file goes is refused by name; its target is untouched`, () => {
    const w = planted();
    assert.throws(() => write(w.at), (e: unknown) => e instanceof FileRefusedError && e.message === `${w.at} is a symbolic link; vdm does not write through links (remove it, or choose another output)`);
    assert.equal(readFileSync(w.victim, 'utf8'), 'keep me\n');
    assert.ok(lstatSync(w.at).isSymbolicLink(), 'the link itself is left for the user to see');
  });

  test(`${name}: a dangling link is refused too (nothing created where it points)`, () => {
    const w = planted();
    const nowhere = join(w.root, 'created-by-accident');
    const at = join(w.run, 'log.txt');
    symlinkSync(nowhere, at);
    assert.throws(() => write(at), FileRefusedError);
    assert.ok(!existsSync(nowhere));
  });

  test(`${name}: a FIFO where the file goes is refused at once (no hang)`, () => {
    const w = planted();
    const fifo = join(w.run, 'steps.csv');
    execFileSync('mkfifo', [fifo]);
    assert.throws(() => write(fifo), (e: unknown) => e instanceof FileRefusedError && /FIFO/.test((e as Error).message));
  });
}

test('writeFileAtomic: a link planted at its temporary name is refused, the target untouched', () => {
  const w = planted(`run.json.tmp-${process.pid}`);
  assert.throws(() => writeFileAtomic(join(w.run, 'run.json'), '{}'), (e: unknown) => e instanceof FileRefusedError && (e as FileRefusedError).path === w.at);
  assert.equal(readFileSync(w.victim, 'utf8'), 'keep me\n');
  assert.ok(!existsSync(join(w.run, 'run.json')));
});

test('writeFileAtomic: a regular file left at the temporary name (a dead process) is replaced', () => {
  const w = planted();
  writeFileSync(join(w.run, `a.json.tmp-${process.pid}`), 'stale');
  writeFileAtomic(join(w.run, 'a.json'), 'fresh');
  assert.equal(readFileSync(join(w.run, 'a.json'), 'utf8'), 'fresh');
  assert.ok(!existsSync(join(w.run, `a.json.tmp-${process.pid}`)));
});

test('makeFolder: a link to a folder (tb/ -> elsewhere) is refused; a file in its place too', () => {
  const w = planted();
  const elsewhere = join(w.root, 'elsewhere');
  mkdirSync(elsewhere);
  symlinkSync(elsewhere, join(w.run, 'tb'));
  assert.throws(() => makeFolder(join(w.run, 'tb')), /tb is a symbolic link/);
  writeFileSync(join(w.run, 'landscape'), '');
  assert.throws(() => makeFolder(join(w.run, 'landscape')), /landscape is a file where vdm writes a folder; move it away/);
  makeFolder(join(w.run, 'new', 'deeper'));
  assert.ok(lstatSync(join(w.run, 'new', 'deeper')).isDirectory());
});

test('makeFolder: an output on /proc or /sys is refused before anything is tried', () => {
  assert.throws(() => makeFolder('/proc/self/vdm-out'), /\/proc\/self\/vdm-out is on \/proc, a special file system; choose another output/);
  assert.throws(() => makeFolder('/sys/kernel/vdm'), /is on \/sys, a special file system/);
});

test('a landscape CSV that is a link is refused before it is read or appended to', async () => {
  const { openTable } = await import('../../src/landscape/table.js');
  const w = planted('landscape.csv');
  assert.throws(() => openTable(w.at, ['x', 'loss'], [[0]]), /landscape\.csv is a symbolic link/);
  assert.equal(readFileSync(w.victim, 'utf8'), 'keep me\n');
});
