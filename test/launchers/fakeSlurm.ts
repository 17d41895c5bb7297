// Stand-ins for sbatch, squeue, sacct and scontrol on PATH, for tests of what vdm asks Slurm and
// how it reads the answers, without a cluster (slurm.test.ts has the real one). sbatch answers
// 101, 102, ... and logs its arguments; squeue prints what `queue(job, lines)` set for that job.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/files.js';

export interface FakeSlurm {
  readonly dir: string;
  /** The argument lists sbatch got, in order. */
  sbatchCalls(): string[][];
  /** What `squeue -j JOB` prints from now on (one line per task: `index|STATE|reason`). */
  queue(job: string, lines: readonly string[]): void;
  /** What scontrol got, one line per call. */
  scontrolCalls(): string[];
  /** Puts the fakes first on PATH; returns the function that undoes it. */
  install(): () => void;
}

const SCRIPTS: Record<string, string> = {
  sbatch: `n=$(( $(cat "$FAKE_SLURM/next" 2>/dev/null || echo 100) + 1 )); echo $n >"$FAKE_SLURM/next"
printf '%s\\n' "$*" >>"$FAKE_SLURM/sbatch.log"; echo $n`,
  squeue: `while [ $# -gt 0 ]; do [ "$1" = -j ] && id=$2; shift; done
cat "$FAKE_SLURM/squeue-$id" 2>/dev/null || true`,
  sacct: 'exit 1 # no accounting, as on the test cluster',
  scontrol: `printf '%s\\n' "$*" >>"$FAKE_SLURM/scontrol.log"`,
};

export function fakeSlurm(): FakeSlurm {
  const dir = tempDir('vdm-fake-slurm-');
  for (const [name, body] of Object.entries(SCRIPTS)) {
    writeFileSync(join(dir, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  const lines = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').trim().split('\n').filter(Boolean) : []);
  return {
    dir,
    sbatchCalls: () => lines('sbatch.log').map((line) => line.split(' ')),
    scontrolCalls: () => lines('scontrol.log'),
    queue: (job, rows) => writeFileSync(join(dir, `squeue-${job}`), rows.map((r) => `${r}\n`).join('')),
    install() {
      const saved = { path: process.env.PATH, fake: process.env.FAKE_SLURM };
      process.env.PATH = `${dir}:${process.env.PATH}`;
      process.env.FAKE_SLURM = dir;
      return () => {
        process.env.PATH = saved.path;
        if (saved.fake === undefined) delete process.env.FAKE_SLURM;
        else process.env.FAKE_SLURM = saved.fake;
      };
    },
  };
}
