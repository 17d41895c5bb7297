// Hostile data files, archives and downloads: truncated CIFAR binaries and pickles, archives
// that are not gzip, cut short or hold a decompression bomb, and servers that fail, stall, lie
// about sizes or send the wrong file. Each is one line, exit 2; only a download's .part remains.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CIFAR_LAYOUTS } from '../../src/datasets/cifar/layout.js';
import { cifarArchive, fakeCifar, tarGz } from '../datasets/fixtures/cifar.js';
import { startFileServer, type FileServer } from '../datasets/fixtures/server.js';
import { BASE_CONFIG, corpus, type HostileCase } from './harness.js';

const info = (name = 'cifar10') => ['data', 'info', name, '--set', 'root=data'];
const binary = fakeCifar('cifar10', 'binary', 2, 2);
const python = fakeCifar('cifar10', 'python', 2, 2);
const BIN = `data/${CIFAR_LAYOUTS.cifar10.binary.folder}`;
const PY = `data/${CIFAR_LAYOUTS.cifar10.python.folder}`;
const ARCHIVE = `data/${CIFAR_LAYOUTS.cifar10.binary.archive}`;

/** The fake's files under `folder`, with `changes` applied (a file set to undefined is left out). */
function folderFiles(fake: typeof binary, folder: string, changes: Record<string, Buffer | undefined> = {}): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (const [name, data] of fake.files) if (!(name in changes)) files[`${folder}/${name}`] = data;
  for (const [name, data] of Object.entries(changes)) if (data !== undefined) files[`${folder}/${name}`] = data;
  return files;
}

const batch1 = binary.files.get('data_batch_1.bin')!;
const pickle1 = python.files.get('data_batch_1')!;
const goodArchive = await cifarArchive('cifar10', 'binary', binary);

const fileCases: HostileCase[] = [
  {
    title: 'a truncated CIFAR binary batch',
    files: folderFiles(binary, BIN, { 'data_batch_1.bin': batch1.subarray(0, batch1.length - 100) }),
    args: info(),
    message: /data_batch_1\.bin: 6046 bytes is not a whole number of 3073-byte records \(record 1 is cut short\); the file is truncated/,
  },
  {
    title: 'an empty CIFAR binary batch',
    files: folderFiles(binary, BIN, { 'data_batch_3.bin': Buffer.alloc(0) }),
    args: info(),
    message: /data_batch_3\.bin: 0 bytes is not a whole number of 3073-byte records/,
  },
  {
    title: 'a label out of range in a CIFAR binary batch',
    files: folderFiles(binary, BIN, { 'data_batch_2.bin': Buffer.concat([Buffer.from([200]), batch1.subarray(1)]) }),
    args: info(),
    message: /data_batch_2\.bin: record 0: label byte 0 is 200, expected 0\.\.9$/,
  },
  {
    title: 'a CIFAR batch that is a link to /dev/zero',
    setup: (dir) => {
      symlinkSync('/dev/zero', join(dir, BIN, 'data_batch_5.bin'));
      return info();
    },
    files: folderFiles(binary, BIN, { 'data_batch_5.bin': undefined }),
    message: /data_batch_5\.bin: not a regular file; expected a CIFAR data file$/,
  },
  {
    title: 'a CIFAR batch larger than any real one',
    files: folderFiles(binary, BIN, { 'data_batch_4.bin': Buffer.alloc(33 * 1024 * 1024) }),
    args: info(),
    message: /data_batch_4\.bin: 34603008 bytes, more than a CIFAR file can be \(33554432\); is it the right file\?$/,
  },
  {
    title: 'a truncated CIFAR pickle',
    files: folderFiles(python, PY, { data_batch_1: pickle1.subarray(0, Math.floor(pickle1.length / 2)) }),
    args: ['data', 'info', 'cifar10', '--set', 'root=data', '--set', 'format=python'],
    message: /data_batch_1: not a readable python pickle \(.*\)$/,
  },
  {
    title: 'a pickle that is random bytes',
    files: folderFiles(python, PY, { data_batch_2: createHash('sha512').update('x').digest() }),
    args: ['data', 'info', 'cifar10', '--set', 'root=data', '--set', 'format=python'],
    message: /data_batch_2: not a readable python pickle \(.*\)$/,
  },
  {
    title: 'a pickle that calls a Python function (os.system)',
    files: folderFiles(python, PY, { data_batch_3: Buffer.from("cos\nsystem\n(S'echo pwned'\ntR.", 'latin1') }),
    args: ['data', 'info', 'cifar10', '--set', 'root=data', '--set', 'format=python'],
    message: /data_batch_3: not a readable python pickle \(the pickle refers to os\.system, which is not a numpy array part\)$/,
  },
  {
    title: 'an archive that is not gzip',
    files: { [ARCHIVE]: Buffer.from('<html>404 Not Found</html>') },
    args: info(),
    message: /cifar-10-binary\.tar\.gz: cannot read the archive \(.*\); delete it and fetch it again$/,
  },
  {
    title: 'an archive cut short',
    files: { [ARCHIVE]: goodArchive.subarray(0, Math.floor(goodArchive.length / 2)) },
    args: info(),
    message: /cifar-10-binary\.tar\.gz: cannot read the archive \(unexpected end of file\); delete it and fetch it again$/,
  },
  {
    title: 'an archive whose batch is 40 MiB of zeros in 40 kB (a 6.7 MB one took 3.3 GB RSS)',
    files: { [ARCHIVE]: await tarGz([[`${CIFAR_LAYOUTS.cifar10.binary.folder}/data_batch_1.bin`, Buffer.alloc(40 * 1024 * 1024)]]) },
    args: info(),
    message: /cifar-10-binary\.tar\.gz: member cifar-10-batches-bin\/data_batch_1\.bin is 40 MiB, more than the 32 MiB it can be; is it the right archive\?$/,
  },
];

corpus('data files', fileCases);

const server: FileServer = await startFileServer({ 'cifar-10-binary.tar.gz': goodArchive, 'cifar-10-python.tar.gz': goodArchive });
after(() => server.close());
/** A port nothing listens on: one a server just gave back. */
const closedPort = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as AddressInfo;
    probe.close(() => resolve(port));
  });
});
const fetchArgs = ['data', 'fetch', 'cifar10', '--root', 'data'];
const fromServer = { VDM_DATA_BASE_URL: server.baseUrl, VDM_FETCH_STALL_SECONDS: '0.5' };
const partSize = (expected: number) => (dir: string) => assert.equal(statSync(join(dir, `${ARCHIVE}.part`)).size, expected);

const downloadCases: HostileCase[] = [
  {
    title: 'the server has no such file',
    env: { ...fromServer, VDM_DATA_BASE_URL: `${server.baseUrl}nowhere/` },
    files: { 'data/.keep': '' },
    args: fetchArgs,
    message: /^cannot download http:\/\/127\.0\.0\.1:\d+\/nowhere\/cifar-10-binary\.tar\.gz: HTTP 404 Not Found$/,
  },
  {
    title: 'nothing listens on the port',
    env: { ...fromServer, VDM_DATA_BASE_URL: `http://127.0.0.1:${closedPort}/` },
    files: { 'data/.keep': '' },
    args: fetchArgs,
    message: /^cannot download http:\/\/127\.0\.0\.1:\d+\/cifar-10-binary\.tar\.gz: .*ECONNREFUSED/,
  },
  {
    title: 'the connection drops after 5,000 bytes (the .part was left empty): the bytes are kept',
    env: fromServer,
    files: { 'data/.keep': '' },
    setup: () => {
      server.breakAfter = 5000;
      return fetchArgs;
    },
    mayChange: [`${ARCHIVE}.part`],
    check: partSize(5000),
    message: /^download of .*cifar-10-binary\.tar\.gz broke off after 5000 bytes \(.*\); run the same command again to resume$/,
  },
  {
    title: 'the server stalls after 5,000 bytes (waited 300 s): given up on after the stall time, bytes kept',
    env: fromServer,
    files: { 'data/.keep': '' },
    setup: () => {
      server.stallAfter = 5000;
      return fetchArgs;
    },
    mayChange: [`${ARCHIVE}.part`],
    check: partSize(5000),
    message: /^download of .*cifar-10-binary\.tar\.gz broke off after 5000 bytes \(no data for 0\.5 s\); run the same command again to resume$/,
  },
  {
    title: 'the server announces 300 MB (no size cap before)',
    env: fromServer,
    files: { 'data/.keep': '' },
    setup: () => {
      server.claimLength = 300_000_000;
      return fetchArgs;
    },
    check: () => (server.claimLength = undefined),
    message: /^cannot download .*: the server sends 300000000 bytes, more than the file can be \(209715200\); is the address right\?$/,
  },
  {
    title: 'the server sends another file (published MD5 mismatch): nothing is kept',
    env: fromServer,
    files: { 'data/.keep': '' },
    args: fetchArgs,
    message: /^checksum mismatch for .*cifar-10-binary\.tar\.gz: MD5 [0-9a-f]{32}, expected c32a1d4ab5d03f1284b67883e8d87530; the download was deleted$/,
  },
  {
    title: 'a data set that cannot be fetched',
    args: ['data', 'fetch', 'imagenet'],
    message: /^data set 'imagenet' cannot be fetched: its licence requires downloading it yourself/,
  },
];

corpus('downloads', downloadCases);

const unreadableImages = (split: 'train' | 'val'): Record<string, string> =>
  Object.fromEntries(['cat', 'dog'].flatMap((cls) => [0, 1].map((i) => [`imgs/${split}/${cls}/${i}.JPEG`, 'not an image'])));

corpus('image folders', [
  {
    title: 'every training image unreadable (was NaN metrics, exit 0)',
    files: {
      ...unreadableImages('train'),
      ...unreadableImages('val'),
      'c.yaml': BASE_CONFIG.replace(/dataset: \{[^}]*\}/, 'dataset: { name: image_folder, root: imgs, image_size: 8, workers: 1, batch_size: 2 }'),
    },
    args: ['train', '-c', 'c.yaml'],
    // The run started (its folder records the failure); what matters is that it says why.
    mayChange: ['results'],
    warnings: /^warning: skipping unreadable image imgs\/train\//,
    message: /none of the 4 images in imgs\/train could be read/,
  },
]);
