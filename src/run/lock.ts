// One writer per run folder: `<run>/.lock` names its holder (pid, host, start time, command).
// A live holder is refused, a dead one on this host is taken over, and the lock goes at exit.
import { linkSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { RunBusyError, UsageError, VdmError, asFileSystemError } from '../errors.js';
import { readBoundedText } from '../files/boundedRead.js';
import { assertOrdinaryPlace, writeNewFile } from '../files/safeWrite.js';

export const LOCK_FILE = '.lock';

/** A lock is one line of JSON; anything larger is not one. */
const LOCK_LIMIT = { maxBytes: 64 * 1024, what: 'lock file' } as const;

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly started_at: string;
  readonly command: string;
  /** The scheduler task this process is (see schedulerTask), when it runs as one. */
  readonly task?: string;
}

/**
 * The scheduler task this process runs as: `VDM_TASK_ID` (the Kubernetes manifest sets it), else
 * the Slurm array task. A scheduler starts a requeued or retried task only after the earlier
 * attempt has ended, possibly on another node, so a lock left by the same task is a dead one.
 */
export function schedulerTask(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.VDM_TASK_ID) return env.VDM_TASK_ID;
  if (env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID) return `slurm/${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}`;
  return env.SLURM_JOB_ID ? `slurm/${env.SLURM_JOB_ID}` : undefined;
}

export interface RunLock {
  readonly dir: string;
  readonly holder: LockHolder;
  /** Removes the lock (if still ours) and the folders taking it created, when left empty. */
  release(): void;
}

/** Locks this process holds, released at exit too (a second Ctrl-C exits without unwinding). */
const held = new Map<string, RunLock>();
let exitHookInstalled = false;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

function readText(path: string): string | undefined {
  try {
    return readBoundedText(path, LOCK_LIMIT); // a FIFO at .lock is refused, not waited on
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof VdmError) throw error;
    throw asFileSystemError(error, 'read', path);
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    // pid 0 or below would name a process group to kill(pid, 0), not a process.
    const ok = Number.isInteger(value.pid) && value.pid! > 0 && typeof value.host === 'string' && typeof value.started_at === 'string';
    return ok ? { command: '', ...value } as LockHolder : undefined;
  } catch {
    return undefined;
  }
}

function busy(dir: string, holder: LockHolder): RunBusyError {
  return new RunBusyError(`${dir} is being written by pid ${holder.pid} on host ${holder.host} since ${holder.started_at}; wait for it or stop it`);
}

/** Why another process's lock stands in the way, or undefined when the holder is gone. */
function obstacle(dir: string, lockPath: string, holder: LockHolder | undefined): RunBusyError | UsageError | undefined {
  if (holder === undefined) {
    return new UsageError(`${lockPath} is not a vdm lock file; if no vdm process is writing ${dir}, remove it`);
  }
  const sameHost = holder.host === hostname();
  if (sameHost && holder.pid !== process.pid && isAlive(holder.pid)) return busy(dir, holder);
  if (holder.task !== undefined && holder.task === schedulerTask() && !held.has(dir)) return undefined; // an earlier attempt of this task
  if (!sameHost) {
    return new RunBusyError(
      `${dir} is being written by pid ${holder.pid} on host ${holder.host} since ${holder.started_at}; if no vdm runs there any more, remove ${lockPath}`,
    );
  }
  if (held.has(dir) || (holder.pid !== process.pid && isAlive(holder.pid))) return busy(dir, holder);
  return undefined;
}

/** The live holder of a run folder's lock, if another process is writing it now. */
export function lockHolder(dir: string): LockHolder | undefined {
  const text = readText(join(dir, LOCK_FILE));
  if (text === undefined) return undefined;
  const holder = parseHolder(text);
  return holder && obstacle(dir, join(dir, LOCK_FILE), holder) !== undefined ? holder : undefined;
}

/**
 * Creates `dir` (and its parents) for a run. A file where it or a parent should be is refused,
 * never replaced. Returns the first folder it created, if any.
 */
export function makeRunFolder(dir: string): string | undefined {
  assertOrdinaryPlace(dir);
  for (let path = dir; ; path = dirname(path)) {
    let isFolder: boolean | undefined;
    try {
      isFolder = statSync(path).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw asFileSystemError(error, 'read', path);
    }
    if (isFolder === false) throw new UsageError(`${path} is a file where a folder should be; move it away or choose another output`);
    if (isFolder === true || dirname(path) === path) break;
  }
  try {
    return mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw asFileSystemError(error, 'create', dir);
  }
}

/** Moves a dead holder's lock aside, making sure what moved is the lock judged dead. */
function takeOver(dir: string, lockPath: string, seen: string, log: (line: string) => void): void {
  const aside = `${lockPath}.stale-${process.pid}`;
  try {
    renameSync(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // another process took it over first
    throw asFileSystemError(error, 'move aside', lockPath);
  }
  const moved = readBoundedText(aside, LOCK_LIMIT);
  if (moved !== seen) {
    // Another process took it over between our read and our rename: give its lock back.
    try {
      linkSync(aside, lockPath);
    } finally {
      rmSync(aside, { force: true });
    }
    const holder = parseHolder(moved);
    throw holder ? busy(dir, holder) : new UsageError(`${lockPath} changed while it was being taken over; try again`);
  }
  rmSync(aside, { force: true });
  const old = parseHolder(seen)!;
  log(`warning: took over the lock of ${dir} from pid ${old.pid} (since ${old.started_at}), which is no longer running`);
}

/**
 * Takes the lock of run folder `dir`, creating the folder if needed. The lock is linked into
 * place from a complete temporary file, so it appears atomically (as with O_EXCL) and is never
 * seen half written.
 */
export function acquireRunLock(dir: string, command: string, log: (line: string) => void): RunLock {
  const created = makeRunFolder(dir);
  const lockPath = join(dir, LOCK_FILE);
  const task = schedulerTask();
  const holder: LockHolder = { pid: process.pid, host: hostname(), started_at: new Date().toISOString(), command, ...(task ? { task } : {}) };
  const text = `${JSON.stringify(holder)}\n`;
  const temporary = `${lockPath}.new-${process.pid}`;
  let wrote = false;
  try {
    writeNewFile(temporary, text); // exclusive: a link planted at .lock.new-<pid> is refused
    wrote = true;
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(temporary, lockPath);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
        const seen = readText(lockPath);
        if (seen === undefined) continue; // released meanwhile
        const stop = obstacle(dir, lockPath, parseHolder(seen));
        if (stop) throw stop;
        takeOver(dir, lockPath, seen, log);
      }
    }
  } catch (error) {
    removeEmptyFolders(dir, created);
    throw asFileSystemError(error, 'write', lockPath);
  } finally {
    if (wrote) rmSync(temporary, { force: true });
  }
  const lock: RunLock = {
    dir,
    holder,
    release() {
      if (held.get(dir) !== lock) return;
      held.delete(dir);
      try {
        if (readText(lockPath) === text) rmSync(lockPath);
      } catch {
        // The lock is gone or unreadable; nothing of ours to remove.
      }
      removeEmptyFolders(dir, created);
    },
  };
  held.set(dir, lock);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => [...held.values()].forEach((l) => l.release()));
  }
  return lock;
}

/** A refused run leaves no trace: folders created only to hold its lock go again when empty. */
function removeEmptyFolders(dir: string, created: string | undefined): void {
  if (created === undefined) return;
  const levels = relative(created, dir).split(/[\\/]/).filter(Boolean).length;
  let path = dir;
  for (let i = 0; i <= levels; i++, path = dirname(path)) {
    try {
      if (readdirSync(path).length > 0) return;
      rmdirSync(path);
    } catch {
      return;
    }
  }
}
