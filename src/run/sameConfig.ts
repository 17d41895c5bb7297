// Whether a run folder's config.yaml is the config about to use it: a folder is resumed, or
// counted as this config's result, only when they agree on everything that is trained.
import { existsSync } from 'node:fs';
import { parse } from 'yaml';
import { toPlainConfig, type RunConfig } from '../config/index.js';
import { CONFIG_LIMITS } from '../config/sourced.js';
import { FileRefusedError } from '../errors.js';
import { readBoundedText } from '../files/boundedRead.js';
import type { RunFolder } from './runFolder.js';

function flatten(value: unknown, prefix = ''): Map<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return new Map([[prefix, JSON.stringify(value)]]);
  return new Map(Object.entries(value).flatMap(([k, v]) => [...flatten(v, prefix ? `${prefix}.${k}` : k)]));
}

/** The first key whose value differs between two configs, if any. */
export function firstDifference(a: unknown, b: unknown): string | undefined {
  const fa = flatten(a);
  const fb = flatten(b);
  return [...new Set([...fa.keys(), ...fb.keys()])].sort().find((key) => fa.get(key) !== fb.get(key));
}

/**
 * Where the results go, what computes them and which checkpoints are kept are not part of the
 * experiment: a moved run folder can still be resumed, checkpoints hold plain arrays, so a run
 * started on wasm can go on on webgpu, and keep_last/best may change between resumes.
 */
const PLACEMENT_KEYS = new Set(['output', 'backend', 'checkpoint']);

function withoutPlacement(config: unknown): unknown {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return config;
  return Object.fromEntries(Object.entries(config).filter(([key]) => !PLACEMENT_KEYS.has(key)));
}

export type StoredConfig =
  | { readonly kind: 'same' }
  | { readonly kind: 'different'; readonly key: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly cause: string };

/** How the folder's config.yaml compares with `config`. */
export function compareStoredConfig(folder: RunFolder, config: RunConfig): StoredConfig {
  if (!existsSync(folder.configYaml)) return { kind: 'missing' };
  let saved: unknown;
  try {
    // Bounded as any config, and with the same alias limit: a YAML bomb is refused, not expanded.
    saved = parse(readBoundedText(folder.configYaml, { maxBytes: CONFIG_LIMITS.fileBytes, what: 'config.yaml' }), { maxAliasCount: CONFIG_LIMITS.aliases });
  } catch (error) {
    // A link, a FIFO or a file too large is refused outright, not read as 'another config'.
    if (error instanceof FileRefusedError) throw error;
    return { kind: 'unreadable', cause: (error as NodeJS.ErrnoException).code ?? (error as Error).message.split('\n')[0] };
  }
  const key = firstDifference(withoutPlacement(saved), withoutPlacement(toPlainConfig(config)));
  return key === undefined ? { kind: 'same' } : { kind: 'different', key };
}

/**
 * Why (one clause) a folder's finished run is not `config`'s result, if its config.yaml says so: a folder
 * named by an older vdm (whose names did not follow the resolved config), or a config file
 * edited since. A config.yaml that is missing or unreadable cannot say; the folder's state
 * rules decide as before.
 */
export function resultOfAnotherConfig(folder: RunFolder, config: RunConfig): string | undefined {
  const stored = compareStoredConfig(folder, config);
  if (stored.kind !== 'different') return undefined;
  return `its config.yaml differs at '${stored.key}': a folder named by an older vdm, or a config file changed since`;
}
