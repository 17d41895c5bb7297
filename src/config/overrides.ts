// Command-line overrides the Hydra way: positional `key.path=value` words beside `--set`, and the
// folder name a run gets when its overrides change what it trains. No tfjs here: the CLI uses it
// before anything heavy is loaded.
import { createHash } from 'node:crypto';
import { parse as parseYamlValue } from 'yaml';
import { ConfigError, UsageError } from '../errors.js';
import { CONFIG_LIMITS } from './sourced.js';

/** `a.b.c=...`: what an override word looks like (the key part only). */
const OVERRIDE_WORD = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*=/;

/** Whether a command-line word is meant as a `key=value` override. */
export function looksLikeOverride(word: string): boolean {
  return OVERRIDE_WORD.test(word);
}

/** Hydra's `+key=value` (add) and `~key` (delete) forms, which vdm does not take. */
export function hydraOnlyForm(word: string): boolean {
  return /^(\+\+?|~)[A-Za-z_]/.test(word);
}

export const HYDRA_FORMS_MESSAGE = "vdm takes key=value overrides only; Hydra's +key=value and ~key forms are not supported (write the key into the config file)";

/** The positional words of `vdm train`/`vdm run`: at most one file, then key=value overrides. */
export function splitPositionals(words: readonly string[], command: string): { files: string[]; overrides: string[] } {
  const files: string[] = [];
  const overrides: string[] = [];
  for (const word of words) {
    if (hydraOnlyForm(word)) throw new UsageError(`'${word}': ${HYDRA_FORMS_MESSAGE}`);
    if (looksLikeOverride(word)) overrides.push(word);
    else if (word.includes('=') && !word.includes('/')) {
      throw new UsageError(`'${word}' is not of the form key.path=value (e.g. optimizer.lr=0.05)`);
    } else files.push(word);
  }
  if (files.length > 1) {
    throw new UsageError(`vdm ${command} takes one config file, got ${files.map((f) => `'${f}'`).join(' and ')}; overrides are key=value words`);
  }
  return { files, overrides };
}

/** Keys that place a run (which folder) rather than change what it trains. */
const PLACEMENT_KEYS = new Set(['name', 'output', 'seed']);

interface ParsedWord {
  readonly key: string;
  readonly value: unknown;
}

function parseWord(word: string): ParsedWord {
  const eq = word.indexOf('=');
  let value: unknown;
  try {
    value = parseYamlValue(word.slice(eq + 1), { maxAliasCount: CONFIG_LIMITS.aliases });
  } catch {
    value = word.slice(eq + 1); // reported properly by the loader; the name only needs text
  }
  return { key: word.slice(0, eq).trim(), value };
}

/** A value as a name part: numbers and words as typed (0.010 -> 0.01), anything else as flow YAML. */
function valueText(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/**
 * `key=value` parts naming a set of settings: each key by its last segment (`lr`), or its full
 * path when two keys share that segment; values canonical. Safe for a folder name: characters
 * other than letters, digits and `._-` in a value become `_`.
 */
export function settingsLabel(settings: readonly ParsedWord[]): string {
  const last = (key: string) => key.slice(key.lastIndexOf('.') + 1);
  const clash = (key: string) => settings.filter((s) => last(s.key) === last(key)).length > 1;
  return settings.map(({ key, value }) => `${clash(key) ? key : last(key)}=${valueText(value).replace(/[^A-Za-z0-9._-]/g, '_')}`).join(',');
}

/** Longest folder name built from overrides before it is shortened to a prefix and a hash. */
const MAX_NAME = 80;

/**
 * The run name for `base` under command-line overrides, or `base` when they change nothing it
 * trains. Rule: overrides of `name`, `output` and `seed` only place the run; every other override
 * is part of the name, sorted by key (the order typed does not matter) with the last of a
 * repeated key winning: `quickstart,epochs=2,lr=0.01`. A name over 80 characters, or one whose
 * values had to be made folder-safe, ends in a 6-hex hash of the exact overrides, so two
 * different settings never share a folder.
 */
export function overriddenName(base: string, overrides: readonly string[]): string {
  const byKey = new Map<string, ParsedWord>();
  for (const word of overrides) {
    const parsed = parseWord(word);
    if (!PLACEMENT_KEYS.has(parsed.key)) byKey.set(parsed.key, parsed);
  }
  if (byKey.size === 0) return base;
  const settings = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const label = `${base},${settingsLabel(settings)}`;
  const lossy = settings.some(({ value }) => /[^A-Za-z0-9._-]/.test(valueText(value)));
  if (!lossy && label.length <= MAX_NAME) return label;
  const hash = createHash('sha256').update(settings.map((s) => `${s.key}=${JSON.stringify(s.value)}`).join('\n')).digest('hex').slice(0, 6);
  return `${label.slice(0, MAX_NAME - 7)}-${hash}`;
}

/** Whether an explicit `name=` is among the overrides (then the user chose the folder). */
export function namesItself(overrides: readonly string[]): boolean {
  return overrides.some((word) => parseWord(word).key === 'name');
}

/** Rejects an override word before it is parsed: Hydra's forms get their own one-line answer. */
export function checkOverrideWord(word: string, where: string): void {
  if (hydraOnlyForm(word)) throw new ConfigError(HYDRA_FORMS_MESSAGE, { file: where, path: word });
}
