// The bench's command line: part names, switches and valued flags (`--name value` or `--name=value`).
// One table of known flags, so a misspelt flag or a missing value is a one-line error (exit 2)
// instead of a flag silently ignored or a value taken for a part name.

/** Flags that take no value. */
const SWITCHES = ['torch', 'quick', 'profile', 'allow-cpu-adapter', 'calls-only', 'landscape-full'] as const;
/** Flags that take one value. */
const VALUED = [
  'model', 'threads', 'batch', 'steps', 'side', 'windows', 'warmup', 'rounds', 'wasm-threads', 'torch-device', 'flatness-rounds', 'submit-batch',
] as const;

export class BenchFlagError extends Error {}

export interface BenchArgs {
  readonly parts: string[];
  readonly flags: ReadonlyMap<string, string>;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const parts: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      parts.push(arg);
      continue;
    }
    const [name, inline] = splitFlag(arg.slice(2));
    if ((SWITCHES as readonly string[]).includes(name)) {
      if (inline !== undefined) throw new BenchFlagError(`bench: --${name} takes no value (got --${name}=${inline})`);
      flags.set(name, 'true');
    } else if ((VALUED as readonly string[]).includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('--') || value === '') throw new BenchFlagError(`bench: --${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new BenchFlagError(`bench: unknown flag --${name}; valid: ${[...SWITCHES, ...VALUED].map((f) => `--${f}`).join(', ')}`);
    }
  }
  return { parts, flags };
}

function splitFlag(body: string): [string, string | undefined] {
  const eq = body.indexOf('=');
  return eq < 0 ? [body, undefined] : [body.slice(0, eq), body.slice(eq + 1)];
}

/** This process's flags (parsed once; index.ts has already rejected bad ones). */
let parsed: BenchArgs | undefined;
export function benchFlags(): ReadonlyMap<string, string> {
  parsed ??= parseBenchArgs(process.argv.slice(2));
  return parsed.flags;
}

export function flag(name: string): string | undefined {
  return benchFlags().get(name);
}

/** A whole-number flag >= 1, or its fallback when absent. */
export function countFlag(name: string, fallback: number): number {
  const raw = flag(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new BenchFlagError(`bench: --${name} must be a whole number >= 1 (got ${raw})`);
  return value;
}

/** A comma-separated list of whole numbers >= 1 (`--threads 1,2`). */
export function countListFlag(name: string): number[] | undefined {
  const raw = flag(name);
  if (raw === undefined) return undefined;
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1)) throw new BenchFlagError(`bench: --${name} must be whole numbers >= 1, comma-separated (got ${raw})`);
  return values;
}
