import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '../../src/errors.js';
import { datasets } from '../../src/datasets/index.js';
import { loadCifarSource } from '../../src/datasets/cifar/load.js';
import type { CifarFormat, CifarName } from '../../src/datasets/cifar/layout.js';
import { readTarMembers } from '../../src/datasets/tarball.js';
import { expectedHwc, fakeCifar, tarGz, writeArchive, writeFolder, type FakeSplit } from './fixtures/cifar.js';

function tempRoot(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'vdm-cifar-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

function assertSplit(got: { pixels: Uint8Array; labels: ArrayLike<number> }, want: FakeSplit, labels: number[]): void {
  assert.equal(got.labels.length, labels.length);
  for (let i = 0; i < labels.length; i++) {
    assert.equal(got.labels[i], labels[i], `label of image ${i}`);
    assert.deepEqual(got.pixels.subarray(i * 3072, (i + 1) * 3072), expectedHwc(want, i), `pixels of image ${i}`);
  }
}

/** Mean/std per channel straight from the planar training data, independently of the reader. */
function planarStats(planar: Uint8Array): { mean: number[]; std: number[] } {
  const n = planar.length / 3;
  const mean = [0, 1, 2].map((c) => {
    let s = 0;
    for (let i = 0; i < planar.length; i++) if (Math.floor((i % 3072) / 1024) === c) s += planar[i];
    return s / n;
  });
  const std = [0, 1, 2].map((c) => {
    let s = 0;
    for (let i = 0; i < planar.length; i++) if (Math.floor((i % 3072) / 1024) === c) s += (planar[i] - mean[c]) ** 2;
    return Math.sqrt(s / n);
  });
  return { mean, std };
}

const layouts: [CifarName, CifarFormat, 'folder' | 'archive'][] = [];
for (const name of ['cifar10', 'cifar100'] as const)
  for (const format of ['binary', 'python'] as const) for (const kind of ['folder', 'archive'] as const) layouts.push([name, format, kind]);

for (const [name, format, kind] of layouts) {
  test(`${name} ${format} ${kind}: every pixel, label, class name and the mean/std read back`, async (t) => {
    const root = tempRoot(t);
    const fake = fakeCifar(name, format, 3, 5);
    if (kind === 'folder') writeFolder(root, name, format, fake);
    else await writeArchive(root, name, format, fake);
    const source = await loadCifarSource(name, { root, download: false, format: 'auto' });
    assertSplit(source.train, fake.train, fake.train.fine);
    assertSplit(source.test, fake.test, fake.test.fine);
    assert.deepEqual(source.classNames, fake.fineNames);
    assert.deepEqual(source.inputShape, [32, 32, 3]);
    assert.equal(source.info?.format, format);
    const stats = planarStats(fake.train.planar);
    source.normalization!.mean.forEach((m, c) => assert.ok(Math.abs(m - stats.mean[c]) < 1e-9, `mean ${c}`));
    source.normalization!.std.forEach((s, c) => assert.ok(Math.abs(s - stats.std[c]) < 1e-6, `std ${c}`));
  });
}

for (const format of ['binary', 'python'] as const) {
  test(`cifar100 ${format}: labels coarse reads the 20 coarse classes`, async (t) => {
    const root = tempRoot(t);
    const fake = fakeCifar('cifar100', format, 4, 3);
    writeFolder(root, 'cifar100', format, fake);
    const source = await loadCifarSource('cifar100', { root, download: false, format, labels: 'coarse' });
    assertSplit(source.train, fake.train, fake.train.coarse);
    assert.deepEqual(source.classNames, fake.coarseNames);
  });
}

test('format auto prefers the binary copy; format python reads the python one', async (t) => {
  const root = tempRoot(t);
  const binary = fakeCifar('cifar10', 'binary', 1, 2);
  writeFolder(root, 'cifar10', 'binary', binary);
  await writeArchive(root, 'cifar10', 'python', fakeCifar('cifar10', 'python', 2, 2));
  assert.equal((await loadCifarSource('cifar10', { root, download: false, format: 'auto' })).train.labels.length, 5);
  const python = await loadCifarSource('cifar10', { root, download: false, format: 'python' });
  assert.equal(python.train.labels.length, 10);
  assert.match(String(python.info?.source), /cifar-10-python\.tar\.gz$/);
});

test('a root that is the unpacked folder itself is accepted', async (t) => {
  const root = tempRoot(t);
  const dir = writeFolder(root, 'cifar10', 'binary', fakeCifar('cifar10', 'binary', 1, 1));
  const source = await loadCifarSource('cifar10', { root: dir, download: false, format: 'auto' });
  assert.equal(source.train.labels.length, 5);
});

test('missing data: one error naming the files looked for, the URL and the fetch command', async (t) => {
  const root = tempRoot(t);
  await assert.rejects(loadCifarSource('cifar100', { root, download: false, format: 'auto' }), (error: Error) => {
    assert.ok(error instanceof DataError);
    assert.ok(!error.message.includes('\n'));
    assert.ok(error.message.includes(join(root, 'cifar-100-binary/')));
    assert.ok(error.message.includes(join(root, 'cifar-100-python.tar.gz')));
    assert.ok(error.message.includes('https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz'));
    assert.ok(error.message.includes(`vdm data fetch cifar100 --root ${root}`));
    return true;
  });
});

interface BadCase {
  what: string;
  name: CifarName;
  format: CifarFormat;
  damage(files: Map<string, Buffer>): void;
  expect: RegExp;
}

const badCases: BadCase[] = [
  {
    what: 'truncated binary batch',
    name: 'cifar10',
    format: 'binary',
    damage: (f) => f.set('data_batch_3.bin', f.get('data_batch_3.bin')!.subarray(0, 3073 * 2 + 100)),
    expect: /data_batch_3\.bin: 6246 bytes is not a whole number of 3073-byte records \(record 2 is cut short\)/,
  },
  {
    what: 'empty binary batch',
    name: 'cifar100',
    format: 'binary',
    damage: (f) => f.set('test.bin', Buffer.alloc(0)),
    expect: /test\.bin: 0 bytes is not a whole number of 3074-byte records/,
  },
  {
    what: 'label byte out of range (cifar10)',
    name: 'cifar10',
    format: 'binary',
    damage: (f) => (f.get('test_batch.bin')![3073 * 2] = 10),
    expect: /test_batch\.bin: record 2: label byte 0 is 10, expected 0\.\.9/,
  },
  {
    what: 'fine label byte out of range (cifar100)',
    name: 'cifar100',
    format: 'binary',
    damage: (f) => (f.get('train.bin')![3074 * 1 + 1] = 100),
    expect: /train\.bin: record 1: label byte 1 is 100, expected 0\.\.99/,
  },
  {
    what: 'coarse label byte out of range (cifar100)',
    name: 'cifar100',
    format: 'binary',
    damage: (f) => (f.get('train.bin')![0] = 20),
    expect: /train\.bin: record 0: label byte 0 is 20, expected 0\.\.19/,
  },
  {
    what: 'wrong number of class names',
    name: 'cifar10',
    format: 'binary',
    damage: (f) => f.set('batches.meta.txt', Buffer.from('a\nb\n')),
    expect: /batches\.meta\.txt: 2 class names, expected 10/,
  },
  {
    what: 'truncated pickle',
    name: 'cifar10',
    format: 'python',
    damage: (f) => f.set('data_batch_2', f.get('data_batch_2')!.subarray(0, 5000)),
    expect: /data_batch_2: not a readable python pickle/,
  },
  {
    what: 'label out of range in a pickle',
    name: 'cifar10',
    format: 'python',
    damage: (f) => {
      const data = f.get('test_batch')!;
      // after the key 'labels': BINPUT id, EMPTY_LIST, BINPUT id, MARK, then the first label as BININT1
      const at = data.indexOf(Buffer.from('labels')) + 'labels'.length + 6;
      assert.equal(data[at], 0x4b);
      data[at + 1] = 12;
    },
    expect: /test_batch: record 0: label 12 out of range, expected 0\.\.9/,
  },
];

for (const bad of badCases) {
  test(`bad input, ${bad.what}: one-line DataError naming the file and record`, async (t) => {
    const root = tempRoot(t);
    const fake = fakeCifar(bad.name, bad.format, 3, 3);
    bad.damage(fake.files);
    writeFolder(root, bad.name, bad.format, fake);
    await assert.rejects(loadCifarSource(bad.name, { root, download: false, format: bad.format }), (error: Error) => {
      assert.ok(error instanceof DataError, String(error));
      assert.match(error.message, bad.expect);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
  });
}

test('an incomplete folder names the missing file', async (t) => {
  const root = tempRoot(t);
  const dir = writeFolder(root, 'cifar10', 'binary', fakeCifar('cifar10', 'binary', 1, 1));
  unlinkSync(join(dir, 'data_batch_4.bin'));
  await assert.rejects(loadCifarSource('cifar10', { root, download: false, format: 'auto' }), /missing .*data_batch_4\.bin/);
});

test('an archive lacking a member, or not gzip at all, is a DataError naming the archive', async (t) => {
  const root = tempRoot(t);
  const fake = fakeCifar('cifar10', 'binary', 1, 1);
  fake.files.delete('test_batch.bin');
  const path = await writeArchive(root, 'cifar10', 'binary', fake);
  await assert.rejects(loadCifarSource('cifar10', { root, download: false, format: 'auto' }), /archive lacks cifar-10-batches-bin\/test_batch\.bin/);
  writeFileSync(path, 'not a gzip file');
  await assert.rejects(loadCifarSource('cifar10', { root, download: false, format: 'auto' }), (e: Error) => e instanceof DataError && e.message.startsWith(path));
});

test('tar members are buffered only up to a stated size, and an archive is read only up to a stated total', async (t) => {
  const root = tempRoot(t);
  const path = join(root, 'x.tar.gz');
  // 64 MiB of zeros gzip to about 64 KiB: the shape of a decompression bomb.
  writeFileSync(path, await tarGz([['big', Buffer.alloc(64 * 1024 * 1024)], ['small', Buffer.from('ok')]]));
  await assert.rejects(readTarMembers(path, ['big'], { memberBytes: 1024 * 1024, totalBytes: 1024 ** 3 }), (e: Error) => {
    assert.ok(e instanceof DataError);
    assert.equal(e.message, `${path}: member big is 64 MiB, more than the 1 MiB it can be; is it the right archive?`);
    return true;
  });
  await assert.rejects(readTarMembers(path, ['small'], { memberBytes: 1024, totalBytes: 8 * 1024 * 1024 }), (e: Error) => {
    assert.equal(e.message, `${path}: unpacks to more than 8 MiB; is it the right archive?`);
    return true;
  });
  const found = await readTarMembers(path, ['small'], { memberBytes: 1024, totalBytes: 128 * 1024 * 1024 });
  assert.equal(found.get('small')?.toString(), 'ok');
});

test('a folder file larger than any CIFAR file, or not a file, is refused before it is read', async (t) => {
  const root = tempRoot(t);
  const dir = writeFolder(root, 'cifar10', 'binary', fakeCifar('cifar10', 'binary', 1, 1));
  const batch = join(dir, 'data_batch_2.bin');
  unlinkSync(batch);
  symlinkSync('/dev/zero', batch);
  await assert.rejects(loadCifarSource('cifar10', { root, download: false, format: 'auto' }), (e: Error) => e instanceof DataError && e.message === `${batch}: not a regular file; expected a CIFAR data file`);
  unlinkSync(batch);
  writeFileSync(batch, Buffer.alloc(33 * 1024 * 1024));
  await assert.rejects(loadCifarSource('cifar10', { root, download: false, format: 'auto' }), /data_batch_2\.bin: 34603008 bytes, more than a CIFAR file can be \(33554432\)/);
});

test('registry entries: defaults, strict params, subsets keep the full training mean/std', async (t) => {
  const root = tempRoot(t);
  const fake = fakeCifar('cifar100', 'binary', 40, 20);
  writeFolder(root, 'cifar100', 'binary', fake);
  const entry = datasets.get('cifar100');
  assert.deepEqual(entry.params.parse({}), { root: 'data', download: false, format: 'auto', labels: 'fine' });
  assert.deepEqual(datasets.get('cifar10').params.parse({}), { root: 'data', download: false, format: 'auto' });
  assert.throws(() => entry.params.parse({ rot: 'x' }));
  assert.throws(() => datasets.get('cifar10').params.parse({ labels: 'fine' }));
  const params = entry.params.parse({ root, labels: 'coarse' });
  const full = await entry.create(params, { seed: 1, augment: 'none' });
  const subset = await entry.create(params, { seed: 1, augment: 'none', subset: { train: 20, test: 10 } });
  assert.equal(full.numClasses, 20);
  assert.equal(subset.size('train'), 20);
  assert.equal(subset.size('test'), 10);
  assert.deepEqual(subset.describe().mean, full.describe().mean);
  const counts = new Array(20).fill(0);
  for await (const batch of subset.batches('train', { batchSize: 7 })) batch.y.forEach((y) => counts[y]++);
  assert.deepEqual(counts, new Array(20).fill(1));
  assert.equal(full.describe().source, join(root, 'cifar-100-binary'));
});
