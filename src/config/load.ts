// Reads a config file with its `extends:` chain and applies `--set key.path=value` overrides,
// keeping every value's source for error messages. Validation happens in validate.ts.
import { dirname, resolve } from 'node:path';
import { parse as parseYamlValue } from 'yaml';
import { ConfigError, type SourceLocation } from '../errors.js';
import { checkOverrideWord } from './overrides.js';
import { assertLooksLikeConfig } from './validate.js';
import { CONFIG_LIMITS, isPlainObject, mergeSourced, readYamlFile, type PlainObject, type Sourced } from './sourced.js';

/** A file and its bases, merged (the file's own keys win); `extends` itself is consumed. */
export function loadWithExtends(file: string, chain: string[] = []): Sourced {
  const absolute = resolve(file);
  if (chain.includes(absolute)) {
    throw new ConfigError(`'extends' forms a cycle: ${[...chain, absolute].join(' -> ')}`, { file, path: 'extends' });
  }
  const own = readYamlFile(file);
  const base = own.value.extends;
  if (base === undefined) return own;
  const location = own.locations.get('extends');
  if (typeof base !== 'string' || base.length === 0) {
    throw new ConfigError('extends must be the path of a base config file (relative to this file)', location);
  }
  const { extends: _consumed, ...rest } = own.value;
  const merged = mergeSourced(loadBase(resolve(dirname(absolute), base), [...chain, absolute], location), { ...own, value: rest });
  const locations = new Map(merged.locations);
  locations.delete('extends');
  return { value: merged.value, locations };
}

/** A base config; when the base file itself cannot be read, the error points at the `extends:` line. */
function loadBase(file: string, chain: string[], extendsAt: SourceLocation | undefined): Sourced {
  try {
    const base = loadWithExtends(file, chain);
    assertLooksLikeConfig(base, file);
    return base;
  } catch (error) {
    const unreadable = error instanceof ConfigError && error.location?.file === file && error.location.path === '' && error.location.line === undefined;
    if (!unreadable || extendsAt === undefined) throw error;
    throw new ConfigError(`base config ${file}: ${error.problem}`, extendsAt);
  }
}

/** Parses one `--set a.b.c=value` flag; the value is read as YAML (numbers, lists, booleans). */
export function parseOverride(flag: string): Sourced {
  checkOverrideWord(flag, '--set');
  const eq = flag.indexOf('=');
  const keyPath = eq > 0 ? flag.slice(0, eq).trim() : '';
  const where = { file: '--set', path: keyPath || flag };
  if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(keyPath)) {
    throw new ConfigError(`'${flag}' is not of the form key.path=value (e.g. optimizer.lr=0.05)`, where);
  }
  const keys = keyPath.split('.');
  let value: unknown;
  try {
    value = parseYamlValue(flag.slice(eq + 1), { maxAliasCount: CONFIG_LIMITS.aliases });
  } catch (error) {
    throw new ConfigError(`cannot read the value as YAML: ${(error as Error).message.split('\n')[0]}`, where);
  }
  const forbidden = [...keys, ...ownKeysDeep(value)].find((key) => key === '__proto__');
  if (forbidden !== undefined) throw new ConfigError(`the key '${forbidden}' is not allowed (it is not a setting)`, where);
  const root: PlainObject = {};
  let node = root;
  keys.slice(0, -1).forEach((key) => {
    node[key] = {};
    node = node[key] as PlainObject;
  });
  node[keys[keys.length - 1]] = value;
  const locations = new Map(keys.map((_, i) => [keys.slice(0, i + 1).join('.'), { file: '--set', path: keyPath }]));
  return { value: root, locations };
}

/** Every key of every mapping inside a --set value (they are a few, typed on a command line). */
function ownKeysDeep(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(ownKeysDeep);
  if (!isPlainObject(value)) return [];
  return Object.keys(value).flatMap((key) => [key, ...ownKeysDeep(value[key])]);
}

export function applyOverrides(config: Sourced, flags: readonly string[]): Sourced {
  return flags.reduce((acc, flag) => mergeSourced(acc, parseOverride(flag)), config);
}
