// File-system errors become one line naming the path and the cause, with the exit code of where
// they happen; atomic writes leave no temporary behind when they fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, FileSystemError, asFileSystemError, exitCodeFor, explained } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/run/files.js';
import { tempDir } from '../helpers/files.js';

function errno(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: raw message`), { code, syscall, path });
}

const CAUSES: [string, string][] = [
  ['ENOSPC', 'no space left on device'],
  ['EROFS', 'read-only file system'],
  ['EACCES', 'permission denied'],
  ['EISDIR', 'is a folder, not a file'],
  ['ENOTDIR', 'a part of the path is a file, not a folder'],
  ['EEXIST', 'already exists'],
  ['ENOENT', 'no such file or folder'],
];

for (const [code, cause] of CAUSES) {
  test(`${code} is one line naming the path and the cause`, () => {
    const duringRun = asFileSystemError(errno(code, 'write'), 'write', 'out/run/metrics.csv', ExitCode.runFailed);
    assert.ok(duringRun instanceof FileSystemError);
    assert.equal(duringRun.message, `cannot write out/run/metrics.csv: ${cause} (${code})`);
    assert.equal(exitCodeFor(duringRun), 1, 'a run that had started failed');
    const before = asFileSystemError(errno(code, 'mkdir', 'out'), 'create');
    assert.equal(exitCodeFor(before), 2, 'before a run: the output given cannot be used');
  });
}

test("an error's own path wins, shown without its temporary suffix; other errors pass through", () => {
  const own = asFileSystemError(errno('ENOSPC', 'open', 'r/run.json.tmp-4242'), 'write', 'r');
  assert.equal((own as Error).message, 'cannot write r/run.json: no space left on device (ENOSPC)');
  const plain = new TypeError('not a file error');
  assert.equal(asFileSystemError(plain, 'write', 'x'), plain);
  assert.equal(explained(plain), plain);
  const stray = explained(errno('EACCES', 'mkdir', '/root/x'));
  assert.ok(stray instanceof FileSystemError);
  assert.equal(stray.message, 'cannot create /root/x: permission denied (EACCES)');
});

test('a failed atomic write leaves the old file and no temporary', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'summary.json', 'in-the-way'), { recursive: true }); // a folder where the file goes is refused by name
  assert.throws(() => writeFileAtomic(join(dir, 'summary.json'), '{}'), /summary\.json is a directory where vdm writes a file/);
  assert.deepEqual(readdirSync(dir), ['summary.json']);
  writeFileSync(join(dir, 'ok.json'), 'old');
  writeFileAtomic(join(dir, 'ok.json'), 'new');
  assert.deepEqual(readdirSync(dir).sort(), ['ok.json', 'summary.json']);
});
