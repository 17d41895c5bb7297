// Start-up time of the command line: `vdm --help`, `--version` and `list`, each as a fresh
// process. Wall time depends on how busy the machine is; the CPU time (user + system, all
// threads) is the figure to compare across machines and loads. --help and --version load no
// TensorFlow.js (test/cli/lazyLoad.test.ts); `list` does (the registries' entries are models).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/vdm', import.meta.url));
/** Writes the process's own CPU time (ms, all threads) to $VDM_BENCH_CPU as it exits. */
const CPU_PROBE = `data:text/javascript,${encodeURIComponent(
  'import { appendFileSync } from "node:fs"; process.on("exit", () => { const u = process.cpuUsage(); appendFileSync(process.env.VDM_BENCH_CPU, `${(u.user + u.system) / 1000}\\n`); });',
)}`;
const RUNS = Number(process.env.VDM_BENCH_RUNS ?? 5);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median wall and CPU time (ms) of `vdm ...args` over RUNS fresh processes. */
function timeCommand(args: string[]): { wall: number; cpu: number } {
  const dir = mkdtempSync(join(tmpdir(), 'vdm-bench-cli-'));
  const cpuFile = join(dir, 'cpu.txt');
  const walls: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const result = spawnSync(process.execPath, ['--import', CPU_PROBE, BIN, ...args], {
        encoding: 'utf8',
        env: { ...process.env, CI: 'true', VDM_BENCH_CPU: cpuFile },
      });
      walls.push(performance.now() - start);
      if (result.status !== 0) throw new Error(`vdm ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`);
    }
    const cpus = readFileSync(cpuFile, 'utf8').trim().split('\n').map(Number);
    return { wall: median(walls), cpu: median(cpus) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function bench(): Promise<void> {
  console.log(`vdm start-up, median of ${RUNS} fresh processes (VDM_BENCH_RUNS to change); CPU = user + system`);
  for (const args of [['--help'], ['--version'], ['list']]) {
    const { wall, cpu } = timeCommand(args);
    console.log(`  vdm ${args.join(' ').padEnd(10)} wall ${(wall / 1000).toFixed(2)} s   CPU ${(cpu / 1000).toFixed(2)} s`);
  }
}
