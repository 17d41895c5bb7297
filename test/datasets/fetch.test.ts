import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '../../src/errors.js';
import { downloadVerified } from '../../src/datasets/fetch.js';
import { fetchCifar, loadCifarSource } from '../../src/datasets/cifar/load.js';
import { cifarArchive, fakeCifar } from './fixtures/cifar.js';
import { startFileServer, type FileServer } from './fixtures/server.js';

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff));

async function setup(t: { after(fn: () => Promise<void> | void): void }): Promise<{ dir: string; server: FileServer }> {
  const dir = mkdtempSync(join(tmpdir(), 'vdm-fetch-'));
  const server = await startFileServer({ 'files/blob.tar.gz': payload });
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, server };
}

test('downloads, verifies and renames into place; a verified copy is not fetched again', async (t) => {
  const { dir, server } = await setup(t);
  const dest = join(dir, 'sub', 'blob.tar.gz');
  const remote = { url: `${server.baseUrl}files/blob.tar.gz`, md5: md5(payload), maxBytes: 1_000_000 };
  let seenMidway: { final: boolean; part: boolean } | undefined;
  server.onBody = () => (seenMidway = { final: existsSync(dest), part: existsSync(`${dest}.part`) });
  assert.equal(await downloadVerified(remote, dest, { progress: false }), 'downloaded');
  assert.deepEqual(seenMidway, { final: false, part: true }, 'only the .part file exists while downloading');
  assert.ok(readFileSync(dest).equals(payload));
  assert.ok(!existsSync(`${dest}.part`));
  assert.equal(await downloadVerified(remote, dest, { progress: false }), 'already-present');
  assert.equal(server.requests.length, 1);
});

test('an interrupted download keeps its .part and resumes it with an HTTP Range request', async (t) => {
  const { dir, server } = await setup(t);
  const dest = join(dir, 'blob.tar.gz');
  const remote = { url: `${server.baseUrl}files/blob.tar.gz`, md5: md5(payload), maxBytes: 1_000_000 };
  server.breakAfter = 80_000;
  await assert.rejects(downloadVerified(remote, dest, { progress: false }), (e: Error) => {
    assert.ok(e instanceof DataError);
    assert.match(e.message, /broke off after 80000 bytes .*run the same command again to resume/);
    return true;
  });
  assert.equal(statSync(`${dest}.part`).size, 80_000);
  assert.ok(!existsSync(dest));
  assert.equal(await downloadVerified(remote, dest, { progress: true }), 'downloaded');
  assert.deepEqual(server.requests.map((r) => r.range), [null, 'bytes=80000-']);
  assert.ok(readFileSync(dest).equals(payload));
  assert.ok(!existsSync(`${dest}.part`));
});

test('a stalled server is given up on after the stall timeout, keeping the bytes received for a resume', async (t) => {
  const { dir, server } = await setup(t);
  const dest = join(dir, 'blob.tar.gz');
  const remote = { url: `${server.baseUrl}files/blob.tar.gz`, md5: md5(payload), maxBytes: 1_000_000 };
  server.stallAfter = 5_000;
  await assert.rejects(downloadVerified(remote, dest, { progress: false, stallSeconds: 0.3 }), (e: Error) => {
    assert.ok(e instanceof DataError);
    assert.match(e.message, /broke off after 5000 bytes \(no data for 0\.3 s\); run the same command again to resume$/);
    return true;
  });
  assert.equal(statSync(`${dest}.part`).size, 5_000);
  await downloadVerified(remote, dest, { progress: false });
  assert.equal(server.requests[1].range, 'bytes=5000-');
  assert.ok(readFileSync(dest).equals(payload));
});

test('a download larger than the file can be is refused: by Content-Length, or while it streams', async (t) => {
  const { dir, server } = await setup(t);
  const dest = join(dir, 'blob.tar.gz');
  const remote = { url: `${server.baseUrl}files/blob.tar.gz`, md5: md5(payload), maxBytes: 100_000 };
  await assert.rejects(downloadVerified(remote, dest, { progress: false }), /the server sends 200000 bytes, more than the file can be \(100000\); is the address right\?$/);
  assert.ok(!existsSync(`${dest}.part`), 'nothing written before the body');
  server.omitLength = true;
  await assert.rejects(downloadVerified(remote, dest, { progress: false }), /more than 100000 bytes, more than the file can be; the download was deleted$/);
  assert.ok(!existsSync(`${dest}.part`));
  assert.ok(!existsSync(dest));
});

test('a server that ignores Range gets the whole file again, not a doubled one', async (t) => {
  const { dir, server } = await setup(t);
  const dest = join(dir, 'blob.tar.gz');
  writeFileSync(`${dest}.part`, payload.subarray(0, 1000));
  server.ignoreRange = true;
  await downloadVerified({ url: `${server.baseUrl}files/blob.tar.gz`, md5: md5(payload), maxBytes: 1_000_000 }, dest, { progress: false });
  assert.equal(server.requests[0].range, 'bytes=1000-');
  assert.ok(readFileSync(dest).equals(payload));
});

test('a complete .part (server answers 416) is verified and renamed', async (t) => {
  const { dir, server } = await setup(t);
  const dest = join(dir, 'blob.tar.gz');
  writeFileSync(`${dest}.part`, payload);
  await downloadVerified({ url: `${server.baseUrl}files/blob.tar.gz`, md5: md5(payload), maxBytes: 1_000_000 }, dest, { progress: false });
  assert.ok(readFileSync(dest).equals(payload));
});

test('a bad checksum leaves no file behind and says so', async (t) => {
  const { dir, server } = await setup(t);
  const dest = join(dir, 'blob.tar.gz');
  const wrong = '0123456789abcdef0123456789abcdef';
  await assert.rejects(downloadVerified({ url: `${server.baseUrl}files/blob.tar.gz`, md5: wrong, maxBytes: 1_000_000 }, dest, { progress: false }), (e: Error) => {
    assert.ok(e instanceof DataError);
    assert.equal(e.message, `checksum mismatch for ${server.baseUrl}files/blob.tar.gz: MD5 ${md5(payload)}, expected ${wrong}; the download was deleted`);
    return true;
  });
  assert.ok(!existsSync(dest));
  assert.ok(!existsSync(`${dest}.part`));
});

test('HTTP errors, refused connections and a bad existing file are one-line DataErrors', async (t) => {
  const { dir, server } = await setup(t);
  const dest = join(dir, 'blob.tar.gz');
  await assert.rejects(
    downloadVerified({ url: `${server.baseUrl}files/nothing.tar.gz`, md5: md5(payload), maxBytes: 1_000_000 }, dest, { progress: false }),
    /cannot download http:\/\/127\.0\.0\.1:\d+\/files\/nothing\.tar\.gz: HTTP 404 Not Found/,
  );
  await assert.rejects(downloadVerified({ url: 'http://127.0.0.1:9/x.tar.gz', md5: md5(payload), maxBytes: 1_000_000 }, dest, { progress: false }), (e: Error) => {
    assert.ok(e instanceof DataError && e.message.startsWith('cannot download http://127.0.0.1:9/x.tar.gz: '));
    return true;
  });
  writeFileSync(dest, 'something else');
  await assert.rejects(downloadVerified({ url: `${server.baseUrl}files/blob.tar.gz`, md5: md5(payload), maxBytes: 1_000_000 }, dest, { progress: false }), /exists but its MD5 is .*; delete it and fetch again/);
  assert.equal(readFileSync(dest, 'utf8'), 'something else', 'a file vdm did not write is left alone');
});

test('download: true fetches the archive from the base URL, then reads it', async (t) => {
  const { dir, server } = await setup(t);
  const fake = fakeCifar('cifar10', 'binary', 2, 2);
  const archive = await cifarArchive('cifar10', 'binary', fake);
  server.files.set('mirror/cifar-10-binary.tar.gz', archive);
  const fetchOptions = { baseUrl: `${server.baseUrl}mirror`, md5: md5(archive), progress: false };
  const source = await loadCifarSource('cifar10', { root: dir, download: true, format: 'auto' }, fetchOptions);
  assert.equal(source.train.labels.length, 10);
  assert.equal(source.info?.source, join(dir, 'cifar-10-binary.tar.gz'));
  assert.deepEqual(server.requests.map((r) => r.path), ['mirror/cifar-10-binary.tar.gz']);
  // present now: no second download
  const again = await fetchCifar('cifar10', dir, 'auto', fetchOptions);
  assert.equal(again.outcome, 'already-present');
});

test('download: true with the published MD5 rejects a repackaged archive and leaves nothing', async (t) => {
  const { dir, server } = await setup(t);
  server.files.set('cifar-100-python.tar.gz', await cifarArchive('cifar100', 'python', fakeCifar('cifar100', 'python', 1, 1)));
  await assert.rejects(
    loadCifarSource('cifar100', { root: dir, download: true, format: 'python' }, { baseUrl: server.baseUrl, progress: false }),
    /checksum mismatch for .*cifar-100-python\.tar\.gz: MD5 [0-9a-f]{32}, expected eb9058c3a382ffc7106e4002c42a8d85; the download was deleted/,
  );
  assert.ok(!existsSync(join(dir, 'cifar-100-python.tar.gz')));
  assert.ok(!existsSync(join(dir, 'cifar-100-python.tar.gz.part')));
});
