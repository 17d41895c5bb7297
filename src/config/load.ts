// Reads a config file with its `extends:` chain and applies `--set key.path=value` overrides,
// keeping every value's source for error messages. Validation happens in validate.ts.
import { dirname, resolve } from 'node:path';
import { parse as parseYamlValue } from 'yaml';
import { ConfigError } from '../errors.js';
import { mergeSourced, readYamlFile, type PlainObject, type Sourced } from './sourced.js';

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
  const merged = mergeSourced(loadWithExtends(resolve(dirname(absolute), base), [...chain, absolute]), { ...own, value: rest });
  const locations = new Map(merged.locations);
  locations.delete('extends');
  return { value: merged.value, locations };
}

/** Parses one `--set a.b.c=value` flag; the value is read as YAML (numbers, lists, booleans). */
export function parseOverride(flag: string): Sourced {
  const eq = flag.indexOf('=');
  const keyPath = eq > 0 ? flag.slice(0, eq).trim() : '';
  const where = { file: '--set', path: keyPath || flag };
  if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(keyPath)) {
    throw new ConfigError(`'${flag}' is not of the form key.path=value (e.g. optimizer.lr=0.05)`, where);
  }
  let value: unknown;
  try {
    value = parseYamlValue(flag.slice(eq + 1));
  } catch (error) {
    throw new ConfigError(`cannot read the value as YAML: ${(error as Error).message.split('\n')[0]}`, where);
  }
  const keys = keyPath.split('.');
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

export function applyOverrides(config: Sourced, flags: readonly string[]): Sourced {
  return flags.reduce((acc, flag) => mergeSourced(acc, parseOverride(flag)), config);
}
