// Named error classes and the one place they map to exit codes. Deep code throws these;
// only the CLI's top-level handler prints them and exits.

export const ExitCode = {
  ok: 0,
  runFailed: 1,
  badInput: 2,
  interrupted: 130,
} as const;

/** Base class of every error vdm expects; anything else is an internal error. */
export class VdmError extends Error {
  readonly exitCode: number = ExitCode.badInput;
}

/** Where in a config a value came from: a file and YAML path, or a --set flag. */
export interface SourceLocation {
  file: string;
  path: string;
  line?: number;
}

/**
 * A short, escaped excerpt of text taken from a file: control characters and quotes escaped, at
 * most `max` characters. A message never quotes more of a file than this (it may be a secret).
 */
export function excerpt(text: string, max = 32): string {
  const escaped = JSON.stringify(text).slice(1, -1);
  return escaped.length > max ? `${escaped.slice(0, max - 3)}...` : escaped;
}

export function formatLocation(loc: SourceLocation): string {
  // Keys come from the file: each is shown as an excerpt; list indices ([3]) stay whole.
  const shortKey = (key: string) => key.replace(/^(.*?)((?:\[\d+\])*)$/s, (_, name: string, indices: string) => `${excerpt(name)}${indices}`);
  const path = loc.path === '' ? '(top level)' : loc.path.split('.').map(shortKey).join('.');
  const line = loc.line === undefined ? '' : ` (line ${loc.line})`;
  return `${loc.file}: ${path}${line}`;
}

/** A bad value in a config file or override, reported as `file: yaml.path (line N): problem`. */
export class ConfigError extends VdmError {
  constructor(
    readonly problem: string,
    readonly location?: SourceLocation,
  ) {
    super(location ? `${formatLocation(location)}: ${problem}` : problem);
  }
}

/** A bad command-line flag or argument. */
export class UsageError extends VdmError {}

/** A data file that is missing, truncated or malformed. */
export class DataError extends VdmError {}

/** A backend that was asked for by name but cannot be loaded here. */
export class BackendError extends VdmError {}

/** A run that started and then failed (not the user's input). */
export class RunFailedError extends VdmError {
  override readonly exitCode: number = ExitCode.runFailed;
}

/**
 * A file vdm will not read or write: a symbolic link where it writes, a FIFO, device or folder
 * where it expects a regular file, or a file larger than what it can really be.
 */
export class FileRefusedError extends VdmError {
  constructor(
    readonly path: string,
    /** Why, without the path: `it is a FIFO (named pipe); expected a regular file`. */
    readonly reason: string,
    /** The first words of the message: `cannot read run.json`. */
    readonly action?: string,
    /** 2 before a run starts; 1 when it stops a run that had started. */
    override readonly exitCode: number = ExitCode.badInput,
  ) {
    super(action ? `${path}: ${action}: ${reason}` : `${path} ${reason}`);
  }
}

/** Another process holds the run folder's lock (it is training there now). */
export class RunBusyError extends UsageError {}

const fileSystemCauses: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'already exists',
  ENOENT: 'no such file or folder',
  ENOTEMPTY: 'folder not empty',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  ELOOP: 'too many levels of symbolic links (a link loop?)',
  ENAMETOOLONG: 'name too long (a path component over 255 bytes, or the path over PATH_MAX)',
  ENXIO: 'no such device or address (a FIFO with no reader, or a special file)',
  EINVAL: 'invalid argument (a special file system, such as /proc?)',
};

/** Whether `error` is one of Node's file-system errors that vdm explains in one line. */
export function isFileSystemErrno(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && (error as NodeJS.ErrnoException).code! in fileSystemCauses;
}

/**
 * A file-system failure, as `cannot write <path>: no space left on device (ENOSPC)`. Exit 1 when
 * it stops a run that had started, 2 when it happens before (an unusable output folder).
 */
export class FileSystemError extends VdmError {
  override readonly exitCode: number;
  constructor(
    readonly action: string,
    readonly path: string,
    readonly code: string,
    exitCode: number = ExitCode.badInput,
  ) {
    super(`cannot ${action} ${path}: ${fileSystemCauses[code] ?? code.toLowerCase()} (${code})`);
    this.exitCode = exitCode;
  }
}

/**
 * `error` as a FileSystemError when it is a Node file-system error, unchanged otherwise. It names
 * the error's own path as the user knows it (run.json, not run.json.tmp-123), else `path` (a
 * failed write to an open file carries no path). `action` is the verb: write, read, create.
 */
export function asFileSystemError(error: unknown, action: string, path?: string, exitCode: number = ExitCode.badInput): unknown {
  if (error instanceof VdmError || !isFileSystemErrno(error)) return error;
  const own = error.path?.replace(/\.(tmp|old|new)-\d+/g, '');
  return new FileSystemError(action, own ?? path ?? '(a file)', error.code, exitCode);
}

/** A scheduler refused or could not be reached (sbatch missing or failing). */
export class LaunchError extends VdmError {
  override readonly exitCode: number = ExitCode.runFailed;
}

/** The loss became NaN or infinite. */
export class DivergedError extends RunFailedError {}

/** SIGINT/SIGTERM arrived; the run stopped cleanly. */
export class InterruptedError extends VdmError {
  override readonly exitCode: number = ExitCode.interrupted;
}

/** A name that is not in a registry; carries what the config layer needs to place it. */
export class UnknownNameError extends VdmError {
  constructor(
    readonly kind: string,
    readonly unknownName: string,
    readonly validNames: readonly string[],
    readonly closest: string | undefined,
  ) {
    const hint = closest ? `; did you mean '${closest}'?` : '';
    super(`unknown ${kind} '${unknownName}'${hint} (valid: ${validNames.join(', ')})`);
  }
}

const verbs: Record<string, string> = { open: 'open', read: 'read', write: 'write', mkdir: 'create', rename: 'rename', unlink: 'remove', rmdir: 'remove', scandir: 'list', stat: 'read', lstat: 'read', copyfile: 'copy', link: 'write', realpath: 'read', access: 'read', readlink: 'read', fstat: 'read', fsync: 'write', ftruncate: 'write', truncate: 'write' };

/**
 * What the top-level handler shows for `error`: Node's file-system errors that reach it become
 * FileSystemErrors named by their own syscall and path, so they print as one line too.
 */
export function explained(error: unknown): unknown {
  if (!isFileSystemErrno(error)) return error;
  return asFileSystemError(error, verbs[error.syscall ?? ''] ?? 'access', undefined);
}

export function exitCodeFor(error: unknown): number {
  return error instanceof VdmError ? error.exitCode : ExitCode.runFailed;
}
