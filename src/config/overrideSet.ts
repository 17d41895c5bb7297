// Applies command-line overrides (and sweep settings) to a config as one set, never one after
// another: the result does not depend on the order they were typed. A block-name change
// (`vdm.name=exp`) replaces the block but keeps what the same set says about that block
// (`vdm.a=0.3`); a deeper key refines a shallower mapping or list; `key=null` removes a key.
import { ConfigError } from '../errors.js';
import type { OverrideEntry } from './overrides.js';
import { displayPath, isPlainObject, mergeSourced, type ConfigPath, type PlainObject, type Sourced } from './sourced.js';

const hasIndex = (entry: OverrideEntry) => entry.path.some((part) => typeof part === 'number');
const byDepth = (entries: readonly OverrideEntry[]) => [...entries].sort((a, b) => a.path.length - b.path.length);

/** A key typed twice: the last one wins (a script may append to a command line). */
function lastPerKey(entries: readonly OverrideEntry[]): OverrideEntry[] {
  const byKey = new Map<string, OverrideEntry>();
  for (const entry of entries) {
    byKey.delete(entry.key);
    byKey.set(entry.key, entry);
  }
  return [...byKey.values()];
}

function isPrefix(short: ConfigPath, long: ConfigPath): boolean {
  return short.length < long.length && short.every((part, i) => long[i] === part);
}

/**
 * Refuses two entries of which one reaches inside the other's value where that value has no
 * inside: `vdm=none vdm.a=1`, `model.hidden=null model.hidden.0=16`. A mapping may be refined
 * by a deeper key, a list by an index.
 */
function checkNesting(entries: readonly OverrideEntry[]): void {
  for (const outer of entries) {
    for (const inner of entries) {
      if (!isPrefix(outer.path, inner.path)) continue;
      const next = inner.path[outer.path.length];
      const fits = typeof next === 'number' ? Array.isArray(outer.value) : isPlainObject(outer.value);
      if (fits && !outer.unset) continue;
      const what = outer.unset ? `${outer.key}=null unsets it` : `${outer.key} sets it to ${JSON.stringify(outer.value)}`;
      throw new ConfigError(`reaches inside ${outer.key}, but ${what}; give one of the two`, inner.where);
    }
  }
}

/** The entries without list indices as one tree, shallow ones first so deeper ones refine them. */
function treeOf(entries: readonly OverrideEntry[]): Sourced {
  const root: PlainObject = {};
  const locations = new Map<string, OverrideEntry['where']>();
  for (const entry of byDepth(entries)) {
    let node = root;
    entry.path.forEach((part, i) => {
      const here = displayPath(entry.path.slice(0, i + 1));
      if (!locations.has(here) || i === entry.path.length - 1) locations.set(here, entry.where);
      if (i === entry.path.length - 1) {
        node[part] = structuredClone(entry.value); // the entries are applied to many variants
        return;
      }
      if (!isPlainObject(node[part])) node[part] = {};
      node = node[part] as PlainObject;
    });
  }
  return { value: root, locations };
}

/** `node` with `path` set to `value` (or removed), copying along the way; problems name `entry`. */
function setIn(node: unknown, path: ConfigPath, entry: OverrideEntry, depth = 0): unknown {
  const part = path[depth];
  const last = depth === path.length - 1;
  const container = displayPath(path.slice(0, depth)) || '(top level)';
  const fail = (problem: string): never => {
    throw new ConfigError(problem, entry.where);
  };
  if (typeof part === 'number') {
    if (!Array.isArray(node)) return fail(node === undefined ? `${container} is not set, so it has no item ${part} (is the key spelt right?)` : `${container} is not a list (it is ${JSON.stringify(node)}), so it has no item ${part}`);
    if (part >= node.length) return fail(`${container} has ${node.length} item${node.length === 1 ? '' : 's'} (indices 0-${node.length - 1}); ${part} is past its end (set the whole list to change its length)`);
    const copy = [...node];
    copy[part] = last ? entry.value : setIn(node[part], path, entry, depth + 1);
    return copy;
  }
  if (node !== undefined && !isPlainObject(node)) return fail(`${container} is ${JSON.stringify(node)}, not a mapping, so it has no key '${part}'`);
  const object: PlainObject = { ...(node ?? {}) };
  if (last && entry.unset) delete object[part];
  else if (last) object[part] = structuredClone(entry.value);
  else if (entry.unset && object[part] === undefined) return object; // already unset
  else object[part] = setIn(object[part], path, entry, depth + 1);
  return object;
}

/** One indexed or unsetting entry applied to the merged config; the base's locations under it go. */
function applyAt(sourced: Sourced, entry: OverrideEntry): Sourced {
  const value = setIn(sourced.value, entry.path, entry) as PlainObject;
  const at = displayPath(entry.path);
  const locations = new Map([...sourced.locations].filter(([key]) => !(key.startsWith(`${at}.`) || key.startsWith(`${at}[`))));
  // Kept for an unset key too: validation then says a required key cannot be unset (validate.ts).
  locations.set(at, entry.where);
  return { value, locations };
}

/** `config` under every entry at once; the result is the same for any order of `entries`. */
export function applyOverrideSet(config: Sourced, entries: readonly OverrideEntry[]): Sourced {
  const chosen = lastPerKey(entries);
  checkNesting(chosen);
  const merged = mergeSourced(config, treeOf(chosen.filter((e) => !e.unset && !hasIndex(e))));
  const later = [...byDepth(chosen.filter((e) => !e.unset && hasIndex(e))), ...byDepth(chosen.filter((e) => e.unset))];
  return later.reduce(applyAt, merged);
}
