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

export function formatLocation(loc: SourceLocation): string {
  const path = loc.path === '' ? '(top level)' : loc.path;
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

export function exitCodeFor(error: unknown): number {
  return error instanceof VdmError ? error.exitCode : ExitCode.runFailed;
}
