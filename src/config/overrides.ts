// Command-line overrides the Hydra way: which words are `key.path=value` overrides, and what one
// word means (a key path, list indices included, and a YAML value, or `null` to unset). Hydra's
// other grammar (multirun lists, range(), choice(), ${...}, +key, ~key) gets a one-line answer
// that says what to write instead. No tfjs here: the CLI uses it before anything heavy is loaded.
import { parse as parseYamlValue } from 'yaml';
import { ConfigError, UsageError, type SourceLocation } from '../errors.js';
import { CONFIG_LIMITS, isPlainObject, type ConfigPath } from './sourced.js';

/** `optimizer.lr`, `model.hidden.0`: names, then names or list indices. */
const KEY_PATH = /^[A-Za-z_]\w*(\.([A-Za-z_]\w*|\d+))*$/;
const OVERRIDE_WORD = /^[A-Za-z_]\w*(\.([A-Za-z_]\w*|\d+))*=/;

/** Whether a command-line word is meant as a `key=value` override. */
export function looksLikeOverride(word: string): boolean {
  return OVERRIDE_WORD.test(word);
}

/** Hydra's `+key=value` (add) and `~key` (delete) forms, which vdm does not take. */
export function hydraOnlyForm(word: string): boolean {
  return /^(\+\+?|~)[A-Za-z_]/.test(word);
}

export const HYDRA_FORMS_MESSAGE = "vdm takes key=value overrides only; Hydra's +key=value and ~key forms are not supported (write the key into the config file, or key=null to unset one)";

/** The positional words of `vdm train`/`vdm run`: at most one file, then key=value overrides. */
export function splitPositionals(words: readonly string[], command: string): { files: string[]; overrides: string[] } {
  const files: string[] = [];
  const overrides: string[] = [];
  for (const word of words) {
    if (hydraOnlyForm(word)) throw new UsageError(`'${word}': ${HYDRA_FORMS_MESSAGE}`);
    if (looksLikeOverride(word)) overrides.push(word);
    else if (word.includes('=') && !word.includes('/')) {
      throw new UsageError(`'${word}' is not of the form key.path=value (e.g. optimizer.lr=0.05, or model.hidden.0=16 for a list item)`);
    } else files.push(word);
  }
  if (files.length > 1) {
    throw new UsageError(`vdm ${command} takes one config file, got ${files.map((f) => `'${f}'`).join(' and ')}; overrides are key=value words`);
  }
  return { files, overrides };
}

/** One override: where it points (numbers are list indices), and its value or that it unsets. */
export interface OverrideEntry {
  /** The key path as typed: `model.hidden.0`. */
  readonly key: string;
  readonly path: ConfigPath;
  /** The value read as YAML; undefined when `unset`. */
  readonly value: unknown;
  /** `key=null`: the key is removed (an optional key is then absent, one with a default takes it). */
  readonly unset: boolean;
  readonly where: SourceLocation;
}

/** `a.b.0` as a path: digits are list indices. */
export function keyPathOf(key: string): ConfigPath {
  return key.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** Whether a key path is well formed; `indices`: may it hold list indices. */
export function isKeyPath(key: string, indices = true): boolean {
  return KEY_PATH.test(key) && (indices || !/\.\d+(\.|$)/.test(key));
}

/** Hydra's functions in a value: the sweep ones get the --sweep that does the same. */
const HYDRA_FUNCTIONS = new Set(['range', 'choice', 'interval', 'glob', 'sort', 'shuffle', 'tag', 'int', 'float', 'str', 'bool', 'json_str', 'extend_list']);
/** How many values of range() a message spells out. */
const RANGE_SHOWN = 50;

/** Hydra's range(start, stop[, step]) (stop excluded), as the values it stands for, if few and numeric. */
function rangeValues(args: string): string | undefined {
  const numbers = args.split(',').map((a) => Number(a.trim()));
  if (numbers.length < 1 || numbers.length > 3 || numbers.some((n) => !Number.isFinite(n))) return undefined;
  const [start, stop, step = 1] = numbers.length === 1 ? [0, numbers[0]] : numbers;
  if (step === 0) return undefined;
  const values: number[] = [];
  for (let v = start; step > 0 ? v < stop : v > stop; v += step) {
    if (values.length >= RANGE_SHOWN) return undefined;
    values.push(Number(v.toPrecision(12)));
  }
  return values.length > 0 ? values.join(',') : undefined;
}

/** Whether `text` has a comma outside brackets, braces and quotes (a Hydra multirun list). */
function hasTopLevelComma(text: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) return true;
  }
  return false;
}

/**
 * What is wrong with a raw value in Hydra's grammar but not vdm's, if anything: one sentence
 * saying what to write instead. `sweepFlag`: the value is a --sweep flag's list.
 */
export function hydraValueProblem(key: string, raw: string, sweepFlag = false): string | undefined {
  if (raw.includes('${')) return `\${...} interpolation is not supported; write the value itself (values are read as plain YAML)`;
  const call = /^\s*([A-Za-z_]\w*)\((.*)\)\s*$/s.exec(raw);
  if (call && HYDRA_FUNCTIONS.has(call[1])) {
    const [, fn, args] = call;
    const values = fn === 'choice' ? args : fn === 'range' ? rangeValues(args) : undefined;
    if (values === undefined) return `Hydra's ${fn}() is not supported; ${fn === 'interval' ? 'list the values to sweep: --sweep key=v1,v2,...' : 'write the value itself'}`;
    const sweep = `--sweep ${key}=${values.replace(/\s+/g, '')}`;
    return sweepFlag ? `${fn}() is Hydra's sweep syntax; list the values instead: ${sweep}` : `${fn}() is Hydra's sweep syntax; sweep with vdm run FILE ${sweep}`;
  }
  if (!sweepFlag && key !== 'name' && hasTopLevelComma(raw)) {
    return `'${raw}' is a list of values (Hydra's multirun); sweep them with vdm run FILE --sweep ${key}=${raw}, or quote a text that holds a comma`;
  }
  return undefined;
}

/** Every key of every mapping inside a value (they are a few, typed on a command line). */
function ownKeysDeep(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(ownKeysDeep);
  if (!isPlainObject(value)) return [];
  return Object.keys(value).flatMap((key) => [key, ...ownKeysDeep(value[key])]);
}

/**
 * Reads one `key.path=value` word (positional or `--set`). The value is YAML; `null` (or `~`)
 * unsets the key. Every problem is one ConfigError located at the word.
 */
export function parseOverrideWord(word: string, file = '--set'): OverrideEntry {
  if (hydraOnlyForm(word)) throw new ConfigError(HYDRA_FORMS_MESSAGE, { file, path: word });
  const eq = word.indexOf('=');
  const key = eq > 0 ? word.slice(0, eq).trim() : '';
  const where = { file, path: key || word };
  if (!isKeyPath(key)) {
    throw new ConfigError(`'${word}' is not of the form key.path=value (e.g. optimizer.lr=0.05, or model.hidden.0=16 for a list item)`, where);
  }
  const raw = word.slice(eq + 1);
  if (raw.trim() === '') throw new ConfigError(`no value after '='; give one, or write ${key}=null to unset the key`, where);
  const problem = hydraValueProblem(key, raw);
  if (problem) throw new ConfigError(problem, where);
  let value: unknown;
  try {
    value = parseYamlValue(raw, { maxAliasCount: CONFIG_LIMITS.aliases });
  } catch (error) {
    throw new ConfigError(`cannot read the value as YAML: ${(error as Error).message.split('\n')[0]}`, where);
  }
  const path = keyPathOf(key);
  const forbidden = [...path, ...ownKeysDeep(value)].find((part) => part === '__proto__');
  if (forbidden !== undefined) throw new ConfigError(`the key '${forbidden}' is not allowed (it is not a setting)`, where);
  const unset = value === null;
  if (unset && typeof path[path.length - 1] === 'number') {
    throw new ConfigError(`a list item cannot be unset; set the whole list instead (e.g. ${key.replace(/\.\d+$/, '')}=[16, 8])`, where);
  }
  return { key, path, value: unset ? undefined : value, unset, where };
}

/** The `name=` among the overrides, if one sets it (then the user chose the folder). */
export function chosenName(entries: readonly OverrideEntry[]): string | undefined {
  const named = entries.filter((e) => e.key === 'name' && !e.unset).at(-1);
  return named === undefined ? undefined : String(named.value);
}
