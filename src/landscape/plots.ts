// Vega-Lite specs of landscapes: 1-D curves per variant (mean, min-max band over seeds), 2-D maps
// side by side with shared levels, and the interpolation curve. Rendered by compare/render.ts.
import type { TopLevelSpec } from 'vega-lite';
import { sharedConfig } from '../compare/plots.js';
import { bandOf, isoline } from '../toy/contours.js';

/** One run's table, labelled for the legend. */
export interface LabelledTable {
  readonly variant: string;
  readonly seed: number | null;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly number[])[];
}

const config = sharedConfig;

const column = (table: LabelledTable, name: string) => table.columns.indexOf(name);

interface BandRow {
  variant: string;
  split: string;
  x: number;
  mean: number;
  min: number;
  max: number;
}

/** Mean and min-max over the seeds of each variant, per coordinate and split, of `measure` (loss or accuracy). */
function bandsOverSeeds(tables: readonly LabelledTable[], xColumn: string, measure: 'loss' | 'accuracy'): BandRow[] {
  const groups = new Map<string, { variant: string; split: string; x: number; values: number[] }>();
  for (const table of tables) {
    const xi = column(table, xColumn);
    for (const split of ['train', 'test']) {
      const vi = column(table, `${split}_${measure}`);
      if (vi < 0) continue;
      for (const row of table.rows) {
        const key = `${table.variant}\u0000${split}\u0000${row[xi]}`;
        const group = groups.get(key) ?? { variant: table.variant, split, x: row[xi], values: [] };
        group.values.push(measure === 'accuracy' ? row[vi] * 100 : row[vi]);
        groups.set(key, group);
      }
    }
  }
  return [...groups.values()].map(({ variant, split, x, values }) => ({
    variant,
    split,
    x,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
  }));
}

/** Powers of ten spanning the values: vega's own log ticks draw a grid line at every 2..9. */
function powersOfTen(rows: readonly BandRow[]): number[] {
  const low = Math.floor(Math.log10(Math.min(...rows.map((r) => r.min))));
  const high = Math.ceil(Math.log10(Math.max(...rows.map((r) => r.max))));
  return Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i));
}

function curvePanel(rows: BandRow[], xTitle: string, yTitle: string, logY: boolean) {
  const color = { field: 'variant', type: 'nominal', title: 'Variant', legend: { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 } } as const;
  const splits = new Set(rows.map((r) => r.split)).size;
  const strokeDash = { field: 'split', type: 'nominal', title: 'Examples', sort: ['train', 'test'], legend: splits > 1 ? {} : null } as const;
  const axis = logY ? { values: powersOfTen(rows), format: '~g' } : {};
  const y = { type: 'quantitative', title: yTitle, scale: { type: logY ? 'log' : 'linear', zero: false }, axis } as const;
  return {
    width: 380,
    height: 280,
    data: { values: rows },
    encoding: { x: { field: 'x', type: 'quantitative', title: xTitle, scale: { nice: false } } },
    layer: [
      { mark: { type: 'area', opacity: 0.18 }, encoding: { y: { field: 'min', ...y }, y2: { field: 'max' }, color, detail: { field: 'split' } } },
      { mark: { type: 'line', strokeWidth: 2 }, encoding: { y: { field: 'mean', ...y }, color, strokeDash } },
    ],
  };
}

function seedsNote(tables: readonly LabelledTable[]): string {
  const seeds = new Set(tables.map((t) => `${t.variant}/${t.seed}`)).size;
  const variants = new Set(tables.map((t) => t.variant)).size;
  return seeds > variants ? 'line: mean over seeds · band: min–max over seeds' : 'one seed per variant';
}

/** Loss (log scale when it spans a factor > 20) and accuracy along one direction or alpha. */
export function curveSpec(tables: readonly LabelledTable[], title: string, xColumn: string, xTitle: string): TopLevelSpec {
  const loss = bandsOverSeeds(tables, xColumn, 'loss');
  const low = Math.min(...loss.map((r) => r.min));
  const high = Math.max(...loss.map((r) => r.max));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: `${seedsNote(tables)} · ${tables.some((t) => column(t, 'test_loss') >= 0) ? 'solid: training subset, dashed: test subset' : 'training subset'}` },
    hconcat: [curvePanel(loss, xTitle, 'Loss L', low > 0 && high / low > 20), curvePanel(bandsOverSeeds(tables, xColumn, 'accuracy'), xTitle, 'Accuracy (%)', false)],
    config,
  } as unknown as TopLevelSpec; // built from plain objects; the render test compiles it
}

/** Shared levels for every map: log-spaced when the losses span a factor > 20, else even. */
export function contourLevels(values: readonly number[], count = 12): number[] {
  const low = Math.min(...values);
  const high = Math.max(...values);
  if (!(high > low)) return [low];
  const logSpaced = low > 0 && high / low > 20;
  return Array.from({ length: count }, (_, i) => {
    const t = (i + 1) / (count + 1);
    const level = logSpaced ? low * (high / low) ** t : low + (high - low) * t;
    return Number(level.toPrecision(3));
  });
}

/** One run's 2-D training loss as filled cells (one colour per band between levels) and iso-lines. */
function mapPanel(table: LabelledTable, levels: readonly number[], colors: readonly string[]) {
  const names = bandNames(levels);
  const xi = column(table, 'x');
  const yi = column(table, 'y');
  const li = column(table, 'train_loss');
  const xs = [...new Set(table.rows.map((r) => r[xi]))].sort((a, b) => a - b);
  const ys = [...new Set(table.rows.map((r) => r[yi]))].sort((a, b) => a - b);
  const half = (axis: number[]) => (axis.length > 1 ? (axis[1] - axis[0]) / 2 : 0.5);
  const [hx, hy] = [half(xs), half(ys)];
  const cells = table.rows.map((r) => ({ x: r[xi] - hx, x2: r[xi] + hx, y: r[yi] - hy, y2: r[yi] + hy, loss: r[li], band: names[levels.length - bandOf(r[li], levels)] }));
  // Row-major field in grid units, row 0 at the smallest y; marching squares works in those units.
  const values = new Float64Array(xs.length * ys.length).fill(Number.NaN);
  table.rows.forEach((r) => (values[ys.indexOf(r[yi]) * xs.length + xs.indexOf(r[xi])] = r[li]));
  const toX = (c: number) => xs[0] + c * 2 * hx;
  const toY = (r: number) => ys[0] + r * 2 * hy;
  const segments =
    xs.length * ys.length === table.rows.length
      ? levels.flatMap((level) => isoline({ cols: xs.length, rows: ys.length, values }, level).map(([c0, r0, c1, r1]) => ({ x: toX(c0), y: toY(r0), x2: toX(c1), y2: toY(r1) })))
      : []; // an unfinished grid: cells only
  const x = { field: 'x', type: 'quantitative', title: 'direction 1', scale: { domain: [xs[0] - hx, xs[xs.length - 1] + hx], nice: false, zero: false } } as const;
  const y = { field: 'y', type: 'quantitative', title: 'direction 2', scale: { domain: [ys[0] - hy, ys[ys.length - 1] + hy], nice: false, zero: false } } as const;
  return {
    title: { text: table.seed === null ? table.variant : `${table.variant} (seed ${table.seed})`, fontSize: 12 },
    width: 260,
    height: 260,
    layer: [
      {
        data: { values: cells },
        mark: { type: 'rect' },
        encoding: {
          x,
          x2: { field: 'x2' },
          y,
          y2: { field: 'y2' },
          // Bands as named categories: a symbol legend shows every band evenly, however the levels are spaced.
          color: { field: 'band', type: 'ordinal', title: 'Training loss', scale: { domain: names, range: colors }, sort: names },
          tooltip: [{ field: 'loss', format: '.4g' }],
        },
      },
      { data: { values: segments }, mark: { type: 'rule', color: 'white', strokeWidth: 0.8, opacity: 0.9 }, encoding: { x, y, x2: { field: 'x2' }, y2: { field: 'y2' } } },
      { data: { values: [{ x: 0, y: 0 }] }, mark: { type: 'point', shape: 'cross', color: 'white', size: 60, filled: true }, encoding: { x, y } },
    ],
  };
}

/** Legend names of the bands below, between and above the levels. */
function bandNames(levels: readonly number[]): string[] {
  const f = (v: number) => String(Number(v.toPrecision(3)));
  return [`< ${f(levels[0])}`, ...levels.slice(1).map((l, i) => `${f(levels[i])} – ${f(l)}`), `≥ ${f(levels[levels.length - 1])}`].reverse();
}

/** Viridis at n evenly spaced points (low loss dark, high loss bright), interpolated between its stops. */
function viridis(n: number): string[] {
  const stops = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];
  const rgb = (hex: string) => [1, 3, 5].map((k) => Number.parseInt(hex.slice(k, k + 2), 16));
  return Array.from({ length: n }, (_, i) => {
    const t = (i * (stops.length - 1)) / Math.max(n - 1, 1);
    const k = Math.min(Math.floor(t), stops.length - 2);
    const [a, b] = [rgb(stops[k]), rgb(stops[k + 1])];
    return `#${a.map((v, j) => Math.round(v + (b[j] - v) * (t - k)).toString(16).padStart(2, '0')).join('')}`;
  });
}

/** The runs' 2-D training-loss maps side by side, on one set of levels and colours. */
export function mapsSpec(tables: readonly LabelledTable[], title: string): TopLevelSpec {
  const levels = contourLevels(tables.flatMap((t) => t.rows.map((r) => r[column(t, 'train_loss')])));
  const colors = viridis(levels.length + 1).reverse(); // high band first, as the legend lists them
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: 'training loss · shared levels (white iso-lines) and colours · cross: the trained weights' },
    hconcat: tables.map((t) => mapPanel(t, levels, colors)),
    resolve: { scale: { color: 'shared' } },
    config,
  } as unknown as TopLevelSpec; // built from plain objects; the render test compiles it
}
