// A real single-node Slurm for tests: its own munge key and socket, slurmctld and slurmd in the
// foreground (so their PIDs are ours to stop), free ports, every path in one temp folder.
// Needs root and the slurm-wlm and munge packages (.ci/run installs them); throws saying why
// when it cannot start, since a test that silently skips would prove nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../helpers/files.js';

export interface SlurmCluster {
  readonly conf: string;
  readonly dir: string;
  readonly node: string;
  /** Runs a Slurm client (sbatch, squeue, scontrol, ...) against this cluster. */
  client(command: string, args: string[]): { code: number | null; stdout: string; stderr: string };
  /** Cancels every job, stops the daemons it started (by PID) and removes its folder. */
  stop(): Promise<void>;
}

const REQUIRED = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sinfo', 'sbatch', 'squeue', 'scontrol', 'scancel'];

function missingPrograms(): string[] {
  return REQUIRED.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function slurmConf(dir: string, node: string, ports: [number, number]): string {
  return `ClusterName=vdmtest
SlurmctldHost=${node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
AuthType=auth/munge
AuthInfo=socket=${join(dir, 'munge', 'munge.socket')}
CredType=cred/munge
StateSaveLocation=${join(dir, 'state')}
SlurmdSpoolDir=${join(dir, 'spool')}
SlurmctldPidFile=${join(dir, 'slurmctld.pid')}
SlurmdPidFile=${join(dir, 'slurmd.pid')}
SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}
SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
NodeName=${node} NodeAddr=127.0.0.1 CPUs=2 RealMemory=8000 State=UNKNOWN
PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP
`;
}

const tail = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ') : '(no log)');

export async function startSlurmCluster(): Promise<SlurmCluster> {
  const missing = missingPrograms();
  if (missing.length > 0) throw new Error(`cannot start Slurm: ${missing.join(', ')} not installed (apt-get install slurm-wlm munge; .ci/run does)`);
  if (process.getuid?.() !== 0) throw new Error('cannot start Slurm: the test cluster runs its daemons as root (SlurmUser=root); run the tests as root, as CI does');

  const dir = tempDir('vdm-slurm-');
  chmodSync(dir, 0o755);
  for (const sub of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, sub), { mode: 0o755 });
  const node = hostname().split('.')[0];
  const conf = join(dir, 'slurm.conf');
  const env = { ...process.env, SLURM_CONF: conf };
  const daemons: { name: string; child: ChildProcess; log: string }[] = [];
  const start = (name: string, command: string, args: string[], log: string) => {
    const child = spawn(command, args, { env, stdio: 'ignore' });
    child.once('error', () => undefined); // reported below as "exited"
    daemons.push({ name, child, log });
  };
  const client = (command: string, args: string[]) => {
    const r = spawnSync(command, args, { env, encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };

  const stop = async () => {
    client('scancel', ['--full', '--user', 'root']); // job processes go before the daemons that track them
    for (let i = 0; i < 50 && client('squeue', ['-h']).stdout.trim() !== ''; i++) await sleep(100);
    for (const { child } of [...daemons].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGTERM');
      if ((await Promise.race([exited, sleep(5000, 'timeout')])) === 'timeout') process.kill(child.pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const key = join(dir, 'munge', 'munge.key');
    const made = spawnSync('mungekey', ['--create', `--keyfile=${key}`], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`cannot start Slurm: mungekey failed: ${made.stderr.trim()}`);
    const socket = join(dir, 'munge', 'munge.socket');
    const mungeLog = join(dir, 'log', 'munged.log');
    start('munged', 'munged', ['--foreground', '--force', `--socket=${socket}`, `--key-file=${key}`, `--log-file=${mungeLog}`,
      `--pid-file=${join(dir, 'munge', 'munged.pid')}`, `--seed-file=${join(dir, 'munge', 'munged.seed')}`], mungeLog);
    await waitFor(() => existsSync(socket), 5000, () => `munged did not create its socket: ${tail(mungeLog)}`, daemons);

    writeFileSync(conf, slurmConf(dir, node, [await freePort(), await freePort()]));
    start('slurmctld', 'slurmctld', ['-D', '-f', conf], join(dir, 'log', 'slurmctld.log'));
    start('slurmd', 'slurmd', ['-D', '-f', conf], join(dir, 'log', 'slurmd.log'));
    await waitFor(() => client('sinfo', ['-h', '-o', '%t']).stdout.trim() === 'idle', 15_000,
      () => `node ${node} not idle after 15 s (sinfo: ${client('sinfo', ['-h', '-o', '%t']).stdout.trim() || 'no answer'}); slurmctld: ${tail(join(dir, 'log', 'slurmctld.log'))}`, daemons);
  } catch (error) {
    await stop();
    throw error;
  }
  return { conf, dir, node, client, stop };
}

/** Polls `ready`; fails at once, with the daemon's log, if one of the daemons has exited. */
async function waitFor(ready: () => boolean, ms: number, why: () => string, daemons: { name: string; child: ChildProcess; log: string }[]): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(100)) {
    const dead = daemons.find((d) => d.child.exitCode !== null || d.child.pid === undefined);
    if (dead) throw new Error(`cannot start Slurm: ${dead.name} exited (code ${dead.child.exitCode}): ${tail(dead.log)}`);
    if (ready()) return;
  }
  throw new Error(`cannot start Slurm: ${why()}`);
}
