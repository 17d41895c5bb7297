// Test hook: VDM_TEST_FULL_DISK=<name>[:<n>][,...] makes writes to files of that name (run
// folder names such as metrics.csv; a temporary counts as its file) fail with ENOSPC from their
// n-th write on (default the first), as a full disk would. Unset, it does nothing. Tests used a
// link to /dev/full for this, which vdm now refuses to write through.
import { basename } from 'node:path';

const counts = new Map<string, number>();

export function failIfDiskFull(path: string): void {
  const spec = process.env.VDM_TEST_FULL_DISK;
  if (!spec) return;
  const name = basename(path).replace(/\.(tmp|new)-\d+$/, '');
  for (const entry of spec.split(',')) {
    const [file, from = '1'] = entry.split(':');
    if (file !== name) continue;
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    if (n >= Number(from)) throw Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC', syscall: 'write', path });
  }
}
