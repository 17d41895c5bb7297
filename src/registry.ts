// One generic registry that every kind (models, datasets, optimizers, schedules, vdms) builds on.
import { distance } from 'fastest-levenshtein';
import { UnknownNameError } from './errors.js';

/** What every registry entry has: a unique name and a one-line description for `vdm list`. */
export interface NamedEntry {
  readonly name: string;
  readonly description: string;
}

/**
 * The candidate nearest to a misspelt name, if near enough to be a likely typo. `minTolerance`
 * lets short words (command names) count one swap of two letters, which is two edits.
 */
export function closestName(name: string, candidates: readonly string[], minTolerance = 1): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const tolerance = Math.max(minTolerance, Math.floor(name.length / 3));
  return bestDistance <= tolerance && bestDistance < name.length ? best : undefined;
}

export class Registry<E extends NamedEntry> {
  private readonly byName = new Map<string, E>();

  constructor(
    readonly kind: string,
    entries: readonly E[],
  ) {
    for (const entry of entries) {
      if (this.byName.has(entry.name)) {
        throw new Error(`duplicate ${kind} '${entry.name}' in registry`);
      }
      this.byName.set(entry.name, entry);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): E {
    const entry = this.byName.get(name);
    if (entry === undefined) {
      throw new UnknownNameError(this.kind, name, this.names(), this.closest(name));
    }
    return entry;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  entries(): E[] {
    return [...this.byName.values()];
  }

  /** The valid name nearest to a misspelling, if any is near enough to be a likely typo. */
  closest(name: string): string | undefined {
    return closestName(name, this.names());
  }
}
