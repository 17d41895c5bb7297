// Seeded random streams whose whole state is four integers, so a run can save and restore
// them exactly (resume). Each purpose (init, shuffle, augment, ...) gets its own named stream
// derived from the run seed, so adding draws to one never shifts another.

/** The saveable state of a RandomStream (sfc32's four 32-bit words). */
export type RandomState = readonly [number, number, number, number];

/** splitmix32-style mixing, used to derive stream states from (seed, name). */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

export class RandomStream {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(state: RandomState) {
    [this.a, this.b, this.c, this.d] = state;
  }

  /** A stream determined by the run seed and a purpose, e.g. ('init') or ('augment', epoch). */
  static derive(seed: number, ...purpose: (string | number)[]): RandomStream {
    let h = mix32(seed >>> 0) ^ mix32(Math.floor(seed / 2 ** 32));
    for (const part of purpose) h = mix32(h ^ hashString(String(part)));
    const stream = new RandomStream([mix32(h), mix32(h + 1), mix32(h + 2), mix32(h + 3) | 1]);
    for (let i = 0; i < 12; i++) stream.nextUint32(); // sfc32 wants a short warm-up
    return stream;
  }

  getState(): RandomState {
    return [this.a, this.b, this.c, this.d];
  }

  setState(state: RandomState): void {
    [this.a, this.b, this.c, this.d] = state;
  }

  /** sfc32: small, fast, passes PractRand; 32-bit integer ops only. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal by Box-Muller; no cached spare, so the state stays four integers. */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]: log stays finite
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Normal truncated at two standard deviations (resampled), as common initialisers use. */
  truncatedNormal(): number {
    for (;;) {
      const z = this.normal();
      if (Math.abs(z) <= 2) return z;
    }
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return this.shuffle(order);
  }
}
