// Reads a config file with its `extends:` chain and applies `--set key.path=value` overrides,
// keeping every value's source for error messages. Validation happens in validate.ts.
import { dirname, resolve } from 'node:path';
import { ConfigError, type SourceLocation } from '../errors.js';
import { applyOverrideSet } from './overrideSet.js';
import { parseOverrideWord } from './overrides.js';
import { assertLooksLikeConfig } from './looksLikeConfig.js';
import { mergeSourced, readYamlFile, type Sourced } from './sourced.js';

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

/** `--set`/key=value words applied to a config as one set (overrideSet.ts): order does not matter. */
export function applyOverrides(config: Sourced, flags: readonly string[]): Sourced {
  return applyOverrideSet(config, flags.map((flag) => parseOverrideWord(flag)));
}
