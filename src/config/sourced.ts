// Config values together with where each came from (file and line, or a --set flag), so that a
// problem found after merging `extends:` chains and overrides still points at the right line.
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { readBoundedText } from './boundedRead.js';
import { ConfigError, type SourceLocation } from '../errors.js';

export type PlainObject = Record<string, unknown>;
export type ConfigPath = readonly (string | number)[];

export interface Sourced {
  readonly value: PlainObject;
  /** Location of every key path, by displayPath. */
  readonly locations: ReadonlyMap<string, SourceLocation>;
}

/** `optimizer.lr`, `schedule.milestones[1]`. */
export function displayPath(path: ConfigPath): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part), '');
}

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The location recorded for a path, or for its nearest recorded ancestor. */
export function locate(sourced: Sourced, path: ConfigPath, fallbackFile: string): SourceLocation {
  for (let n = path.length; n >= 0; n--) {
    const found = sourced.locations.get(displayPath(path.slice(0, n)));
    if (found) return { ...found, path: displayPath(path) };
  }
  return { file: fallbackFile, path: displayPath(path) };
}

/**
 * Limits on what a config may hold. Real configs have tens of keys a few levels deep; the limits
 * leave room for long variant lists while refusing YAML bombs and key floods before they cost.
 */
export const CONFIG_LIMITS = {
  /** Bytes of one config file. */
  fileBytes: 1024 * 1024,
  /** Keys and list items of one file, all levels together. */
  entries: 10_000,
  /** Mappings and lists inside each other. */
  depth: 32,
  /** Alias expansions (`*name`) of one file: yaml's guard against billion-laughs documents. */
  aliases: 100,
} as const;

/** Keys that would reach into JavaScript's object machinery instead of naming a value. */
const FORBIDDEN_KEYS = new Set(['__proto__']);

/** What the walk over a file's YAML nodes records and counts. */
interface Walk {
  readonly file: string;
  readonly lines: LineCounter;
  readonly out: Map<string, SourceLocation>;
  entries: number;
}

function lineOf(walk: Walk, node: Node | null | undefined): number | undefined {
  return node?.range ? walk.lines.linePos(node.range[0]).line : undefined;
}

/**
 * Records where every key path is, and refuses what the YAML parser lets through: duplicate
 * keys (checked here with a Set because yaml's `uniqueKeys` is quadratic in a mapping's size),
 * `__proto__` keys, too many entries and too deep nesting.
 */
function recordLocations(node: Node | null | undefined, path: ConfigPath, walk: Walk): void {
  if (!node || !(isMap(node) || isSeq(node))) return;
  const here = (line: number | undefined): SourceLocation => ({ file: walk.file, path: displayPath(path), line: walk.out.get(displayPath(path))?.line ?? line });
  if (path.length >= CONFIG_LIMITS.depth) {
    throw new ConfigError(`nested more than ${CONFIG_LIMITS.depth} levels deep; a config is a few levels of mappings and lists`, here(lineOf(walk, node)));
  }
  walk.entries += node.items.length;
  if (walk.entries > CONFIG_LIMITS.entries) {
    throw new ConfigError(`more than ${CONFIG_LIMITS.entries} keys and list items; a config holds at most that many`, here(lineOf(walk, node)));
  }
  if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const childPath = [...path, i];
      walk.out.set(displayPath(childPath), { file: walk.file, path: displayPath(childPath), line: lineOf(walk, item as Node) });
      recordLocations(item as Node, childPath, walk);
    });
    return;
  }
  const seen = new Set<string>();
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const childPath = [...path, key];
    const at = (pair.key as Node | null) ?? (pair.value as Node | null);
    const location = { file: walk.file, path: displayPath(childPath), line: lineOf(walk, at) };
    if (FORBIDDEN_KEYS.has(key)) throw new ConfigError(`the key '${key}' is not allowed (it is not a setting)`, location);
    if (seen.has(key)) throw new ConfigError(`duplicate key '${key}'; each key may appear once in a mapping`, location);
    seen.add(key);
    walk.out.set(displayPath(childPath), location);
    recordLocations(pair.value as Node, childPath, walk);
  }
}

/** Reads one YAML file (no `extends:` handling); syntax errors name the file and line. */
export function readYamlFile(file: string): Sourced {
  const text = readBoundedText(file, CONFIG_LIMITS.fileBytes, 'config');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first.linePos?.[0]?.line;
    const message = first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(`invalid YAML: ${message}`, { file, path: '', line });
  }
  // Structure first: the walk is over the unexpanded nodes, so it is cheap even for a bomb.
  const locations = new Map<string, SourceLocation>([['', { file, path: '', line: 1 }]]);
  recordLocations(doc.contents as Node, [], { file, lines, out: locations, entries: 0 });
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: CONFIG_LIMITS.aliases }) ?? {};
  } catch (error) {
    // yaml throws a ReferenceError for an alias bomb (and for an alias to nothing).
    const reason = (error as Error).message.split('\n')[0];
    throw new ConfigError(`cannot expand the YAML aliases (at most ${CONFIG_LIMITS.aliases} expansions): ${reason}`, { file, path: '' });
  }
  if (!isPlainObject(value)) {
    throw new ConfigError('a config must be a YAML mapping of keys to values', { file, path: '', line: 1 });
  }
  return { value, locations };
}

/** Blocks that name a registry entry: when an override changes the name, the block is replaced. */
const NAMED_BLOCKS = new Set(['model', 'dataset', 'optimizer', 'schedule', 'vdm']);

/**
 * Deep-merges `over` onto `base` (mappings merge, everything else replaces). A named block
 * whose name changes is replaced whole, so one entry's parameters never leak into another's.
 */
export function mergeSourced(base: Sourced, over: Sourced): Sourced {
  /** Paths whose value was replaced whole: the base's locations under them no longer apply. */
  const replaced = new Set<string>();
  const merge = (target: PlainObject, source: PlainObject, path: string[]): PlainObject => {
    const result: PlainObject = { ...target };
    for (const [key, value] of Object.entries(source)) {
      const current = result[key];
      const renamed = path.length === 0 && NAMED_BLOCKS.has(key) && isPlainObject(value) && isPlainObject(current)
        && 'name' in value && value.name !== current.name;
      if (isPlainObject(value) && isPlainObject(current) && !renamed) {
        result[key] = merge(current, value, [...path, key]);
      } else {
        if (typeof current === 'object' && current !== null) replaced.add(displayPath([...path, key]));
        result[key] = value;
      }
    }
    return result;
  };
  const value = merge(base.value, over.value, []);
  // One pass over the locations (a pass per replaced key would be quadratic in the key count).
  const locations = new Map([...base.locations].filter(([key]) => !underReplaced(key, replaced)));
  for (const [key, loc] of over.locations) if (key !== '') locations.set(key, loc);
  return { value, locations };
}

/** Whether a strict ancestor of `key` (`a.b` or `a.b[2]` style) is among `paths`. */
function underReplaced(key: string, paths: ReadonlySet<string>): boolean {
  if (paths.size === 0) return false;
  for (let i = 1; i < key.length; i++) {
    if ((key[i] === '.' || key[i] === '[') && paths.has(key.slice(0, i))) return true;
  }
  return false;
}
