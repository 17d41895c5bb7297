// The folder name a run (or an experiment) gets when command-line overrides change what it
// trains: the base name, the overridden keys whose resolved values differ from the base config,
// and a short hash of the resolved config, so two different configs never share a folder.
import { createHash } from 'node:crypto';
import type { ConfigPath, PlainObject } from './sourced.js';

/** Keys of a resolved config that place a run or say what computes it, not what it trains. */
export const NOT_TRAINED_KEYS: ReadonlySet<string> = new Set(['name', 'seed', 'output', 'backend', 'checkpoint']);

/** One config before and after the overrides (resolved where it validates; raw otherwise). */
export interface ResolvedPair {
  readonly before: PlainObject;
  readonly after: PlainObject;
}

/** Longest folder name built from overrides; longer ones are cut before the hash. */
export const MAX_NAME = 80;
const HASH_LENGTH = 6;

/** Leaves by dotted key; lists (and empty mappings) are leaves, compared as JSON. */
function leaves(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  const isMapping = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isMapping || Object.keys(value).length === 0) {
    out.set(prefix, canonicalJson(value));
    return out;
  }
  for (const [key, child] of Object.entries(value)) {
    if (prefix === '' && NOT_TRAINED_KEYS.has(key)) continue;
    leaves(child, prefix ? `${prefix}.${key}` : key, out);
  }
  return out;
}

/** JSON with mapping keys sorted: the same config always gives the same text. */
function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A value as a name part: numbers and words as YAML reads them (0.010 -> 0.01), the rest as JSON. */
function valueText(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value ?? null);
}

/**
 * `key=value` parts naming a set of settings: each key by its last segment (`lr`), or its full
 * path when two keys share that segment; values canonical. Safe for a folder name: characters
 * other than letters, digits and `._-` in a value become `_`.
 */
export function settingsLabel(settings: readonly { readonly key: string; readonly value: unknown }[]): string {
  const last = (key: string) => key.slice(key.lastIndexOf('.') + 1);
  const clash = (key: string) => settings.filter((s) => last(s.key) === last(key)).length > 1;
  return settings.map(({ key, value }) => `${clash(key) ? key : last(key)}=${valueText(value).replace(/[^A-Za-z0-9._-]/g, '_')}`).join(',');
}

/** A typed path as the config key it changes: up to its first list index (`model.hidden.0` -> `model.hidden`). */
function keyOfPath(path: ConfigPath): string {
  const at = path.findIndex((part) => typeof part === 'number');
  return (at < 0 ? path : path.slice(0, at)).join('.');
}

function valueAt(config: PlainObject, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as PlainObject)[part] : undefined), config);
}

function isMapping(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0;
}

/**
 * What the name says about one typed key, from the first pair where it changed: its new value
 * (`lr=0.01`, `hidden=[16]`, `subset=null` once unset), or, for a mapping, its changed leaves.
 */
function labelParts(key: string, pairs: readonly ResolvedPair[]): [string, unknown][] {
  if (NOT_TRAINED_KEYS.has(key.split('.')[0])) return [];
  for (const { before, after } of pairs) {
    const [was, is] = [valueAt(before, key), valueAt(after, key)];
    if (canonicalJson(was) === canonicalJson(is)) continue;
    if (!isMapping(is)) return [[key, is ?? null]];
    const [old, now] = [leaves(was), leaves(is)];
    const changed = [...now].filter(([leaf, json]) => old.get(leaf) !== json).map(([leaf, json]): [string, unknown] => [`${key}.${leaf}`, JSON.parse(json)]);
    const removed = [...old.keys()].filter((leaf) => !now.has(leaf)).map((leaf): [string, unknown] => [`${key}.${leaf}`, null]);
    return [...changed, ...removed];
  }
  return [];
}

/** Whether any trained setting differs in any pair. */
function anyDifference(pairs: readonly ResolvedPair[]): boolean {
  return pairs.some(({ before, after }) => {
    const [a, b] = [leaves(before), leaves(after)];
    return a.size !== b.size || [...b].some(([key, json]) => a.get(key) !== json);
  });
}

/**
 * The name for `base` under overrides of the keys `typed`. Rule: when no resolved setting
 * differs (every key set to the value it had, or only placement keys: name, seed, output,
 * backend, checkpoint), `base`. Otherwise `<base>,<key>=<value>,...-<hash>`: the typed keys
 * whose resolved values differ, sorted, then 6 hex digits of the resolved configs' hash. The
 * order typed never matters; a name over 80 characters is cut before the hash.
 */
export function overriddenName(base: string, pairs: readonly ResolvedPair[], typed: readonly ConfigPath[]): string {
  if (!anyDifference(pairs)) return base;
  const parts = new Map([...new Set(typed.map(keyOfPath))].flatMap((key) => labelParts(key, pairs)));
  const settings = [...parts.keys()].sort().map((key) => ({ key, value: parts.get(key) }));
  const sorted = (p: ResolvedPair) => [...leaves(p.after)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256').update(canonicalJson(pairs.map(sorted))).digest('hex').slice(0, HASH_LENGTH);
  const label = settings.length > 0 ? `${base},${settingsLabel(settings)}` : base;
  return `${label.slice(0, MAX_NAME - HASH_LENGTH - 1)}-${hash}`;
}
