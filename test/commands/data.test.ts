import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, UnknownNameError, UsageError } from '../../src/errors.js';
import { datasetInfo, fetchDataset } from '../../src/commands/data.js';
import { cifarArchive, fakeCifar, writeFolder } from '../datasets/fixtures/cifar.js';
import { writeSolidFolder } from '../datasets/fixtures/images.js';
import { startFileServer } from '../datasets/fixtures/server.js';

function tempRoot(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'vdm-data-cmd-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

test('data info on CIFAR-10: sizes, classes, mean/std and where it reads from', async (t) => {
  const root = tempRoot(t);
  const fake = fakeCifar('cifar10', 'binary', 4, 6);
  writeFolder(root, 'cifar10', 'binary', fake);
  const info = await datasetInfo('cifar10', { root, batch_size: 128, augment: 'standard' });
  assert.equal(info.train_size, 20);
  assert.equal(info.test_size, 6);
  assert.equal(info.classes, 10);
  assert.deepEqual(info.class_names, fake.fineNames);
  assert.equal(info.source, join(root, 'cifar-10-batches-bin'));
  assert.equal(info.format, 'binary');
  assert.equal((info.mean as number[]).length, 3);
  assert.deepEqual(info.params, { root, download: false, format: 'auto' });
});

test('data info on an image folder, with a subset', async (t) => {
  const root = tempRoot(t);
  await writeSolidFolder(root, 'train', { b: [1, 2, 3], a: [4, 5, 6] }, 3);
  await writeSolidFolder(root, 'val', { a: [4, 5, 6] }, 2);
  const info = await datasetInfo('image_folder', { root, image_size: 32, workers: 1, subset: { train: 4 } });
  assert.deepEqual(info.class_names, ['a', 'b']);
  assert.equal(info.train_size, 4);
  assert.equal(info.test_size, 2);
  assert.deepEqual(info.input_shape, [32, 32, 3]);
  assert.equal(info.skipped_files, 0);
});

test('data info rejects bad params as a ConfigError naming the key, and unknown names', async () => {
  await assert.rejects(datasetInfo('cifar100', { labels: 'medium' }), (e: Error) => e instanceof ConfigError && /dataset\.labels: /.test(e.message));
  await assert.rejects(datasetInfo('cifar10', { rooot: 'x' }), (e: Error) => e instanceof ConfigError && /rooot/.test(e.message));
  await assert.rejects(datasetInfo('cifar11', {}), (e: Error) => e instanceof UnknownNameError && e.closest === 'cifar10');
});

test('data fetch downloads the CIFAR archive into root; not-fetchable data sets say why', async (t) => {
  const root = tempRoot(t);
  const archive = await cifarArchive('cifar100', 'binary', fakeCifar('cifar100', 'binary', 2, 2));
  const server = await startFileServer({ 'cifar-100-binary.tar.gz': archive });
  t.after(() => server.close());
  const lines: string[] = [];
  const md5 = createHash('md5').update(archive).digest('hex');
  await fetchDataset('cifar100', root, { baseUrl: server.baseUrl, md5, progress: false, log: (l) => lines.push(l) });
  assert.ok(existsSync(join(root, 'cifar-100-binary.tar.gz')));
  await fetchDataset('cifar100', root, { baseUrl: server.baseUrl, md5, progress: false, log: (l) => lines.push(l) });
  assert.match(lines[0], /^fetched http:\/\/127\.0\.0\.1:\d+\/cifar-100-binary\.tar\.gz -> .*cifar-100-binary\.tar\.gz \(MD5 verified\)$/);
  assert.match(lines[1], /already there/);
  assert.equal(server.requests.length, 1);
  const info = await datasetInfo('cifar100', { root });
  assert.equal(info.train_size, 2);
  await assert.rejects(fetchDataset('imagenet', root), (e: Error) => e instanceof UsageError && /image-net\.org/.test(e.message));
  await assert.rejects(fetchDataset('cifar', root), UnknownNameError);
});
