// Whether a file is a vdm config at all, decided from its top-level keys alone (no registries, so
// loading a config's `extends:` chain does not load TensorFlow.js).
import { ConfigError } from '../errors.js';
import { topLevelSchema } from './schema.js';
import { keysOf } from './schemaKeys.js';
import type { Sourced } from './sourced.js';

/**
 * A file none of whose keys is a config key is some other file (`extends: /etc/shadow`): it is
 * refused without quoting any of it, since its keys may be secrets.
 */
export function assertLooksLikeConfig(sourced: Sourced, file: string): void {
  const keys = Object.keys(sourced.value);
  const known = new Set(['extends', ...keysOf(topLevelSchema)]);
  if (keys.length === 0 || keys.some((key) => known.has(key))) return;
  const origins = [...new Set(keys.map((key) => sourced.locations.get(key)?.file ?? file))];
  throw new ConfigError(`not a vdm config: none of its ${keys.length} top-level key${keys.length > 1 ? 's' : ''} is a config key (valid keys: ${[...known].join(', ')})`, { file: origins[0] ?? file, path: '' });
}
