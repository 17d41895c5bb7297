// Filled contours for a hand-written SVG: a gridded field cut into bands (drawn as row runs of
// equal band) and iso-lines between them (marching squares), both in grid coordinates.

/** A field sampled on a cols x rows grid, row-major, row 0 at the top. */
export interface Field {
  readonly cols: number;
  readonly rows: number;
  readonly values: ArrayLike<number>;
}

export interface BandRun {
  readonly row: number;
  readonly col: number;
  readonly length: number;
  /** 0 below levels[0], levels.length above the last level. */
  readonly band: number;
}

export function bandOf(value: number, levels: readonly number[]): number {
  let band = 0;
  while (band < levels.length && value >= levels[band]) band++;
  return band;
}

/** Consecutive cells of a row in the same band merge into one run (far fewer SVG rects). */
export function bandRuns(field: Field, levels: readonly number[]): BandRun[] {
  const runs: BandRun[] = [];
  for (let row = 0; row < field.rows; row++) {
    let start = 0;
    let current = bandOf(field.values[row * field.cols], levels);
    for (let col = 1; col <= field.cols; col++) {
      const band = col < field.cols ? bandOf(field.values[row * field.cols + col], levels) : -1;
      if (band !== current) {
        runs.push({ row, col: start, length: col - start, band: current });
        start = col;
        current = band;
      }
    }
  }
  return runs;
}

export type Segment = [number, number, number, number];

/**
 * Marching squares over cells whose corners are grid samples; coordinates are in sample units
 * (x = column, y = row). Saddle cells are split one fixed way: at figure resolution it is invisible.
 */
export function isoline(field: Field, level: number): Segment[] {
  const { cols, rows, values } = field;
  const segments: Segment[] = [];
  const at = (c: number, r: number) => values[r * cols + c];
  for (let r = 0; r + 1 < rows; r++) {
    for (let c = 0; c + 1 < cols; c++) {
      const corners: Array<[number, number, number]> = [
        [c, r, at(c, r)],
        [c + 1, r, at(c + 1, r)],
        [c + 1, r + 1, at(c + 1, r + 1)],
        [c, r + 1, at(c, r + 1)],
      ];
      const crossings: Array<[number, number]> = [];
      for (let k = 0; k < 4; k++) {
        const [x0, y0, v0] = corners[k];
        const [x1, y1, v1] = corners[(k + 1) % 4];
        if (v0 < level !== v1 < level) {
          const t = (level - v0) / (v1 - v0);
          crossings.push([x0 + t * (x1 - x0), y0 + t * (y1 - y0)]);
        }
      }
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        segments.push([...crossings[k], ...crossings[k + 1]]);
      }
    }
  }
  return segments;
}
