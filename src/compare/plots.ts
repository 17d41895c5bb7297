// Vega-Lite specs of the comparison's plots: per-epoch curves (mean line, min–max band per
// variant) and final accuracy per variant with error bars. Rendering lives in render.ts.
import type { TopLevelSpec } from 'vega-lite';
import type { Band, Comparison, CurvePoint } from './types.js';

export interface PlotSpec {
  /** File stem: test_accuracy -> test_accuracy.svg / .png. */
  name: string;
  title: string;
  spec: TopLevelSpec;
}

// Named fonts first so PNG rendering (resvg) finds a real face; sans-serif for browsers.
const fontFamily = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const baselineColor = '#555555';
// Colour-blind-friendly qualitative palette (Okabe–Ito, without black and yellow, which read poorly as thin lines).
const variantColors = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#56B4E9', '#E69F00'];

function colorScale(comparison: Comparison) {
  const labels = comparison.variants.map((v) => v.label);
  let next = 0;
  const range = comparison.variants.map((v) => (v.isBaseline ? baselineColor : variantColors[next++ % variantColors.length]!));
  return { domain: labels, range };
}

/** The look every vdm figure shares (compare's curves, landscapes). */
export const sharedConfig = {
  font: fontFamily,
  background: 'white',
  view: { stroke: '#dddddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#eeeeee' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 260 },
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#666666', anchor: 'start' },
} as const;

type CurveField = 'test_acc' | 'train_loss' | 'grad_scale';

interface CurveRow {
  variant: string;
  epoch: number;
  mean: number;
  min: number;
  max: number;
}

function curveRows(comparison: Comparison, field: CurveField, factor: number): CurveRow[] {
  return comparison.variants.flatMap((variant) =>
    variant.curves
      .map((point: CurvePoint) => [point.epoch, point[field]] as const)
      .filter((entry): entry is readonly [number, Band] => entry[1] !== null)
      .map(([epoch, band]) => ({
        variant: variant.label,
        epoch,
        mean: band.mean * factor,
        min: band.min * factor,
        max: band.max * factor,
      })),
  );
}

/** A log axis when the values span more than a factor of 20 and stay positive (losses, scales). */
function wantsLogScale(rows: readonly CurveRow[]): boolean {
  const [low, high] = valueRange(rows);
  return rows.length > 0 && low > 0 && high / low > 20;
}

function valueRange(rows: readonly CurveRow[]): [number, number] {
  return [Math.min(...rows.map((row) => row.min)), Math.max(...rows.map((row) => row.max))];
}

/**
 * Tick values for a log axis: the powers of ten in range, with 2 and 5 in between when the
 * range spans few decades. Explicit because vega's log ticks put a grid line at every 2..9.
 */
function logTicks([low, high]: [number, number]): number[] {
  const first = Math.floor(Math.log10(low));
  const last = Math.ceil(Math.log10(high));
  const steps = last - first <= 3 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let power = first; power <= last; power++) {
    for (const step of steps) ticks.push(Number((step * 10 ** power).toPrecision(6)));
  }
  return ticks;
}

function curveSpec(comparison: Comparison, field: CurveField, title: string, yTitle: string, factor = 1): TopLevelSpec {
  const rows = curveRows(comparison, field, factor);
  const logScale = field !== 'test_acc' && wantsLogScale(rows);
  const color = {
    field: 'variant',
    type: 'nominal',
    title: 'Variant',
    scale: colorScale(comparison),
    // Solid line swatches: the band layer would otherwise make them faded.
    legend: { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 },
    sort: comparison.variants.map((v) => v.label),
  } as const;
  const y = {
    type: 'quantitative',
    title: yTitle,
    scale: { type: logScale ? 'log' : 'linear', zero: false, padding: 8 },
    axis: logScale ? { values: logTicks(valueRange(rows)), format: '~g' } : {},
  } as const;
  const maxEpoch = Math.max(1, ...rows.map((row) => row.epoch));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: 'line: mean over seeds · band: min–max over seeds' },
    width: 470,
    height: 300,
    data: { values: rows },
    encoding: {
      x: {
        field: 'epoch',
        type: 'quantitative',
        title: 'Epoch',
        scale: { domain: [1, maxEpoch], nice: false },
        // About 8 round ticks (20, 40, ...) rather than every 10 with half the labels dropped.
        axis: { tickMinStep: 1, format: 'd', tickCount: Math.min(8, Math.max(1, maxEpoch - 1)) },
      },
    },
    layer: [
      {
        mark: { type: 'area', opacity: 0.18 },
        encoding: { y: { field: 'min', ...y }, y2: { field: 'max' }, color },
      },
      {
        mark: { type: 'line', strokeWidth: 2, point: maxEpoch <= 30 },
        encoding: {
          color,
          y: { field: 'mean', ...y },
          tooltip: [
            { field: 'variant' },
            { field: 'epoch' },
            { field: 'mean', format: '.4g' },
            { field: 'min', format: '.4g' },
            { field: 'max', format: '.4g' },
          ],
        },
      },
    ],
    config: sharedConfig,
  } as TopLevelSpec;
}

function finalAccuracySpec(comparison: Comparison): TopLevelSpec {
  const order = comparison.variants.map((v) => v.label);
  const summary = comparison.variants
    .filter((v) => v.accuracy.finalTop1.mean !== null)
    .map((v) => {
      const { mean, std } = v.accuracy.finalTop1;
      return { variant: v.label, mean: mean! * 100, low: (mean! - (std ?? 0)) * 100, high: (mean! + (std ?? 0)) * 100 };
    });
  const seeds = comparison.variants.flatMap((v) =>
    v.accuracy.finalTop1.values.map((value, i) => ({ variant: v.label, value: value * 100, seed: v.runs[i]?.seed ?? null })),
  );
  // A narrow band per variant keeps each variant's seed dots next to its error bar.
  const x = {
    field: 'variant',
    type: 'nominal',
    title: null,
    sort: order,
    scale: { paddingInner: 0.6, paddingOuter: 0.4 },
    axis: { labelAngle: 0, labelLimit: 200 },
  } as const;
  const color = { field: 'variant', type: 'nominal', scale: colorScale(comparison), legend: null } as const;
  const yTitle = 'Final test top-1 accuracy (%)';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Final test top-1 accuracy per variant', subtitle: ['diamond: mean · bar: ± sample std', 'grey dots: individual seeds'] },
    width: Math.max(360, 120 * order.length),
    height: 300,
    layer: [
      {
        data: { values: summary },
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          x,
          y: { field: 'low', type: 'quantitative', title: yTitle, scale: { zero: false, padding: 12 } },
          y2: { field: 'high' },
          color,
        },
      },
      {
        data: { values: summary },
        mark: { type: 'tick', thickness: 2, size: 18, opacity: 1 },
        encoding: { x, y: { field: 'low', type: 'quantitative' }, color },
      },
      {
        data: { values: summary },
        mark: { type: 'tick', thickness: 2, size: 18, opacity: 1 },
        encoding: { x, y: { field: 'high', type: 'quantitative' }, color },
      },
      {
        data: { values: summary },
        mark: { type: 'point', filled: true, size: 100, shape: 'diamond', opacity: 1 },
        encoding: { x, y: { field: 'mean', type: 'quantitative' }, color, tooltip: [{ field: 'variant' }, { field: 'mean', format: '.2f' }] },
      },
      {
        data: { values: seeds },
        mark: { type: 'circle', size: 30, opacity: 0.55, color: '#333333' },
        encoding: {
          x,
          xOffset: { field: 'seed', type: 'nominal' },
          y: { field: 'value', type: 'quantitative' },
          tooltip: [{ field: 'variant' }, { field: 'seed' }, { field: 'value', format: '.2f' }],
        },
      },
    ],
    config: sharedConfig,
  } as TopLevelSpec;
}

/** Variants whose runs counted their gradient evaluations, with their mean final top-1 and cost. */
function computePoints(comparison: Comparison) {
  return comparison.variants
    .filter((v) => v.accuracy.finalTop1.mean !== null && v.gradientEvaluations.mean !== null)
    .map((v) => {
      const { mean, std } = v.accuracy.finalTop1;
      return { variant: v.label, evaluations: v.gradientEvaluations.mean!, mean: mean! * 100, low: (mean! - (std ?? 0)) * 100, high: (mean! + (std ?? 0)) * 100 };
    });
}

/**
 * Final top-1 against gradient evaluations, one point per variant: what each method bought with
 * its compute. A method above the line through the baseline and its compute control beats
 * training longer.
 */
function accuracyVsComputeSpec(comparison: Comparison): TopLevelSpec {
  const points = computePoints(comparison);
  const x = { field: 'evaluations', type: 'quantitative', title: 'Gradient evaluations per run (forward + backward passes, counted)', scale: { zero: false, padding: 24 }, axis: { format: '~s' } } as const;
  const y = { type: 'quantitative', title: 'Final test top-1 accuracy (%)', scale: { zero: false, padding: 12 } } as const;
  const color = { field: 'variant', type: 'nominal', title: 'Variant', scale: colorScale(comparison), sort: comparison.variants.map((v) => v.label) } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Final test top-1 accuracy against gradient evaluations', subtitle: ['diamond: mean over seeds · bar: ± sample std', 'a method is worth its cost where it beats the baseline trained as long (~compute)'] },
    width: 470,
    height: 300,
    data: { values: points },
    encoding: { x },
    layer: [
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y: { field: 'low', ...y }, y2: { field: 'high' }, color } },
      {
        mark: { type: 'point', filled: true, size: 100, shape: 'diamond', opacity: 1 },
        encoding: { y: { field: 'mean', ...y }, color, tooltip: [{ field: 'variant' }, { field: 'evaluations', format: ',' }, { field: 'mean', format: '.2f' }] },
      },
      { mark: { type: 'text', align: 'left', dx: 8, dy: -8, fontSize: 11 }, encoding: { y: { field: 'mean', ...y }, text: { field: 'variant' }, color } },
    ],
    config: sharedConfig,
  } as TopLevelSpec;
}

/** Every plot of a comparison; grad_scale is left out when no run recorded it. */
export function comparisonPlots(comparison: Comparison): PlotSpec[] {
  const plots: PlotSpec[] = [
    {
      name: 'test_accuracy',
      title: 'Test top-1 accuracy per epoch',
      spec: curveSpec(comparison, 'test_acc', 'Test top-1 accuracy per epoch', 'Test top-1 accuracy (%)', 100),
    },
    {
      name: 'train_loss',
      title: 'Training loss per epoch',
      spec: curveSpec(comparison, 'train_loss', 'Training loss per epoch', 'Training loss (undeformed L)'),
    },
  ];
  if (comparison.variants.some((v) => v.curves.some((point) => point.grad_scale !== null))) {
    plots.push({
      name: 'grad_scale',
      title: "Gradient scale φ′(L) per epoch",
      spec: curveSpec(comparison, 'grad_scale', "Gradient scale φ′(L) per epoch", "φ′(L) (1 = undeformed)"),
    });
  }
  plots.push({ name: 'final_accuracy', title: 'Final test top-1 accuracy per variant', spec: finalAccuracySpec(comparison) });
  // Only when the variants differ in cost: with one cost every point sits on one vertical line.
  if (new Set(computePoints(comparison).map((point) => point.evaluations)).size > 1) {
    plots.push({ name: 'accuracy_vs_compute', title: 'Final test top-1 accuracy against gradient evaluations', spec: accuracyVsComputeSpec(comparison) });
  }
  return plots;
}
