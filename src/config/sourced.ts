// Config values together with where each came from (file and line, or a --set flag), so that a
// problem found after merging `extends:` chains and overrides still points at the right line.
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
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

function recordLocations(node: Node | null | undefined, path: ConfigPath, file: string, lines: LineCounter, out: Map<string, SourceLocation>): void {
  if (!node) return;
  const lineOf = (n: Node) => (n.range ? lines.linePos(n.range[0]).line : undefined);
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const childPath = [...path, key];
      const at = (pair.key as Node | null) ?? (pair.value as Node | null);
      out.set(displayPath(childPath), { file, path: displayPath(childPath), line: at ? lineOf(at) : undefined });
      recordLocations(pair.value as Node, childPath, file, lines, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const childPath = [...path, i];
      out.set(displayPath(childPath), { file, path: displayPath(childPath), line: lineOf(item as Node) });
      recordLocations(item as Node, childPath, file, lines, out);
    });
  }
}

/** Reads one YAML file (no `extends:` handling); syntax errors name the file and line. */
export function readYamlFile(file: string): Sourced {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError(`cannot read config: ${reason}`, { file, path: '' });
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first.linePos?.[0]?.line;
    const message = first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(`invalid YAML: ${message}`, { file, path: '', line });
  }
  const value: unknown = doc.toJS() ?? {};
  if (!isPlainObject(value)) {
    throw new ConfigError('a config must be a YAML mapping of keys to values', { file, path: '', line: 1 });
  }
  const locations = new Map<string, SourceLocation>([['', { file, path: '', line: 1 }]]);
  recordLocations(doc.contents as Node, [], file, lines, locations);
  return { value, locations };
}

/** Blocks that name a registry entry: when an override changes the name, the block is replaced. */
const NAMED_BLOCKS = new Set(['model', 'dataset', 'optimizer', 'schedule', 'vdm']);

/**
 * Deep-merges `over` onto `base` (mappings merge, everything else replaces). A named block
 * whose name changes is replaced whole, so one entry's parameters never leak into another's.
 */
export function mergeSourced(base: Sourced, over: Sourced): Sourced {
  const locations = new Map(base.locations);
  const dropUnder = (prefix: string) => {
    for (const key of [...locations.keys()]) {
      if (key.startsWith(`${prefix}.`) || key.startsWith(`${prefix}[`)) locations.delete(key);
    }
  };
  const merge = (target: PlainObject, source: PlainObject, path: string[]): PlainObject => {
    const result: PlainObject = { ...target };
    for (const [key, value] of Object.entries(source)) {
      const keyPath = displayPath([...path, key]);
      const current = result[key];
      const renamed = path.length === 0 && NAMED_BLOCKS.has(key) && isPlainObject(value) && isPlainObject(current)
        && 'name' in value && value.name !== current.name;
      if (isPlainObject(value) && isPlainObject(current) && !renamed) {
        result[key] = merge(current, value, [...path, key]);
      } else {
        dropUnder(keyPath);
        result[key] = value;
      }
    }
    return result;
  };
  const value = merge(base.value, over.value, []);
  for (const [key, loc] of over.locations) if (key !== '') locations.set(key, loc);
  return { value, locations };
}
