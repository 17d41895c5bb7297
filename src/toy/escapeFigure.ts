// The escape-time figure as hand-written SVG, laid out like toy.svg: one panel per method with the
// histogram of escape steps, the exponential distribution Kramers' mean implies (expected runs per
// bin), the measured and predicted means, and the runs that had not escaped by the horizon.
import type { EscapeMethod, EscapeResult } from './escape.js';
import { escapeXml, fmt } from './figure.js';

const PANEL_WIDTH = 340;
const PLOT_HEIGHT = 170;
const HEADER = 68;
const AXIS = 30;
const GAP = 16;
const COLUMNS = 3;
const BINS = 30;
const BAR = '#365c8d';
const PREDICTED = '#ff5a36';
const CENSORED = '#c8c8c8';

export function escapeFigure(result: EscapeResult): string {
  const { methods } = result;
  const columns = Math.min(COLUMNS, methods.length);
  const rows = Math.ceil(methods.length / columns);
  const panelHeight = HEADER + PLOT_HEIGHT + AXIS;
  const width = columns * PANEL_WIDTH + (columns + 1) * GAP;
  const height = rows * (panelHeight + GAP) + GAP + 36;
  const body = methods.map((method, i) =>
    drawPanel(method, result.options.steps, GAP + (i % columns) * (PANEL_WIDTH + GAP), GAP + Math.floor(i / columns) * (panelHeight + GAP)),
  );
  const { lr, sigma, momentum, runs } = result.options;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    `<text x="${GAP}" y="${height - 24}" font-size="11" fill="#333">${escapeXml(`${runs} runs from the sharp minimum, lr ${lr}, noise sigma ${sigma}, momentum ${momentum}; bars: escape steps, grey: not escaped by the horizon.`)}</text>`,
    `<text x="${GAP}" y="${height - 10}" font-size="11" fill="#333">${escapeXml("red: runs per bin if escape is exponential with Kramers' mean (integral form), dashed: that mean; black: the measured mean.")}</text>`,
    '</svg>',
  ].join('\n');
}

function drawPanel(method: EscapeMethod, horizon: number, left: number, top: number): string {
  const { estimate: e, prediction: p } = method;
  const censored = e.runs - e.escaped;
  // The axis runs to the horizon when some runs reached it, else to the last escape, so a fast
  // method's histogram is not squeezed into the first bin.
  let last = 1;
  for (const s of method.escapeSteps) last = Math.max(last, s);
  const range = censored > 0 ? horizon : last;
  const counts = new Array<number>(BINS).fill(0);
  const binWidth = range / BINS;
  for (const s of method.escapeSteps) if (s > 0) counts[Math.min(BINS - 1, Math.floor((s - 1) / binWidth))]++;
  // Expected runs per bin if escape is exponential with Kramers' mean.
  const tau = p.integralSteps;
  const expected = counts.map((_, k) => (Number.isFinite(tau) ? e.runs * (Math.exp(-(k * binWidth) / tau) - Math.exp(-((k + 1) * binWidth) / tau)) : 0));
  const plotWidth = PANEL_WIDTH - 40; // the last 40 px hold the not-escaped bar
  // The not-escaped bar may be far taller than any bin: it is clipped at the top and labelled.
  const peak = Math.max(1, ...counts, ...expected);
  const plotTop = top + HEADER;
  const toY = (count: number) => plotTop + PLOT_HEIGHT - (count / peak) * PLOT_HEIGHT;
  const toX = (steps: number) => left + (Math.min(steps, range) / range) * plotWidth;
  const bars = counts.map((c, k) => (c ? `<rect x="${fmt(toX(k * binWidth))}" y="${fmt(toY(c))}" width="${fmt(plotWidth / BINS - 1)}" height="${fmt(plotTop + PLOT_HEIGHT - toY(c))}" fill="${BAR}"/>` : ''));
  const curve = expected.map((c, k) => `${k ? 'L' : 'M'}${fmt(toX((k + 0.5) * binWidth))} ${fmt(toY(c))}`).join('');
  const meanLine = (steps: number, colour: string, dash: string) =>
    Number.isFinite(steps) && steps <= range ? `<path d="M${fmt(toX(steps))} ${plotTop}V${plotTop + PLOT_HEIGHT}" stroke="${colour}" stroke-width="1.5"${dash}/>` : '';
  const number = (x: number) => (Number.isFinite(x) ? String(Math.round(x)) : 'inf');
  const subtitles = [
    `escaped ${e.escaped}/${e.runs} by step ${horizon}; mean ${number(e.mean)} [${number(e.ciLow)}, ${number(e.ciHigh)}]`,
    `Kramers ${number(p.integralSteps)} (harmonic ${number(p.harmonicSteps)}); ratio ${Number.isFinite(method.ratio) ? method.ratio.toFixed(2) : 'n/a'}`,
    `barrier ${p.barrier.toPrecision(3)} = ${(p.barrier / p.temperature).toFixed(1)} T; step check ${p.stepCheck.toPrecision(2)}`,
  ];
  const censoredX = left + plotWidth + 12;
  return [
    '<g>',
    `<text x="${left}" y="${top + 15}" font-size="14" font-weight="bold">${escapeXml(method.label === 'plain' ? 'plain gradient descent' : method.label)}</text>`,
    ...subtitles.map((line, k) => `<text x="${left}" y="${top + 31 + 15 * k}" font-size="11" fill="#333">${escapeXml(line)}</text>`),
    ...bars,
    censored ? `<rect x="${censoredX}" y="${fmt(toY(Math.min(censored, peak)))}" width="20" height="${fmt(plotTop + PLOT_HEIGHT - toY(Math.min(censored, peak)))}" fill="${CENSORED}"/>` : '',
    censored ? `<text x="${censoredX + 10}" y="${fmt(toY(Math.min(censored, peak)) - 3)}" font-size="10" text-anchor="middle">${censored}</text>` : '',
    `<path d="${curve}" fill="none" stroke="${PREDICTED}" stroke-width="1.6"/>`,
    meanLine(p.integralSteps, PREDICTED, ' stroke-dasharray="4 3"'),
    meanLine(e.mean, '#000', ''),
    `<rect x="${left}" y="${plotTop}" width="${plotWidth}" height="${PLOT_HEIGHT}" fill="none" stroke="#444" stroke-width="0.8"/>`,
    `<text x="${left}" y="${plotTop + PLOT_HEIGHT + 14}" font-size="10">0</text>`,
    `<text x="${left + plotWidth}" y="${plotTop + PLOT_HEIGHT + 14}" font-size="10" text-anchor="end">${range} steps</text>`,
    censored ? `<text x="${censoredX + 10}" y="${plotTop + PLOT_HEIGHT + 14}" font-size="10" text-anchor="middle">&gt;${horizon}</text>` : '',
    `<text x="${left}" y="${plotTop + PLOT_HEIGHT + 26}" font-size="10" fill="#333">runs per bin (peak ${fmt(peak)})</text>`,
    '</g>',
  ].join('\n');
}
