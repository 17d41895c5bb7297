// The toy figure as hand-written SVG: per VDM, filled contours of the surface it descends
// (L for plain GD, phi(L) otherwise) with sample trajectories coloured by where they end.
import { bandRuns, isoline, type Field } from './contours.js';
import type { Outcome } from './descent.js';
import type { ToySurface } from './surface.js';

export interface FigurePanel {
  readonly title: string;
  /** Smaller lines under the title (formula, where the runs ended). */
  readonly subtitles: readonly string[];
  /** The descended surface sampled over surface.view; row 0 is the top (largest y). */
  readonly field: Field;
  /** Bands run evenly from the field's minimum to this value; above it is one band. */
  readonly ceiling: number;
  readonly paths: ReadonlyArray<{ points: ReadonlyArray<readonly [number, number]>; outcome: Outcome }>;
}

const BANDS = 14;
const PANEL_WIDTH = 340;
const HEADER = 68;
const GAP = 16;
const COLUMNS = 3;
/** viridis, dark (low) to light (high): low loss reads as a deep basin. */
const RAMP = ['#440154', '#46327e', '#365c8d', '#277f8e', '#1fa187', '#4ac16d', '#a0da39', '#fde725'];
const PATH_COLOURS: Record<Outcome, string> = { sharp: '#ff5a36', flat: '#ffffff', other: '#c8c8c8' };

export function toyFigure(surface: ToySurface, panels: readonly FigurePanel[]): string {
  const { view } = surface;
  const plotHeight = Math.round((PANEL_WIDTH * (view.yMax - view.yMin)) / (view.xMax - view.xMin));
  const columns = Math.min(COLUMNS, panels.length);
  const rows = Math.ceil(panels.length / columns);
  const width = columns * PANEL_WIDTH + (columns + 1) * GAP;
  const legendHeight = 30;
  const height = rows * (plotHeight + HEADER + GAP) + GAP + legendHeight;
  const body = panels.map((panel, i) => {
    const left = GAP + (i % columns) * (PANEL_WIDTH + GAP);
    const top = GAP + Math.floor(i / columns) * (plotHeight + HEADER + GAP);
    return drawPanel(surface, panel, i, left, top, plotHeight);
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    legend(surface, GAP, height - legendHeight + 4, width - 2 * GAP),
    '</svg>',
  ].join('\n');
}

function drawPanel(surface: ToySurface, panel: FigurePanel, index: number, left: number, top: number, plotHeight: number): string {
  const { field } = panel;
  const { view } = surface;
  const cellW = PANEL_WIDTH / field.cols;
  const cellH = plotHeight / field.rows;
  const plotTop = top + HEADER;
  const levels = evenLevels(field, panel.ceiling);
  const toX = (x: number) => left + ((x - view.xMin) / (view.xMax - view.xMin)) * PANEL_WIDTH;
  const toY = (y: number) => plotTop + ((view.yMax - y) / (view.yMax - view.yMin)) * plotHeight;
  // One path per band keeps the file small; runs overlap by a hair so no seams show.
  const bandPaths = new Map<number, string[]>();
  for (const run of bandRuns(field, levels)) {
    const d = `M${fmt(left + run.col * cellW)} ${fmt(plotTop + run.row * cellH)}h${fmt(run.length * cellW + 0.3)}v${fmt(cellH + 0.3)}h${fmt(-(run.length * cellW + 0.3))}z`;
    bandPaths.set(run.band, [...(bandPaths.get(run.band) ?? []), d]);
  }
  const rects = [...bandPaths].map(([band, ds]) => `<path d="${ds.join('')}" fill="${bandColour(band, levels.length)}"/>`);
  // Samples sit at cell centres, so grid coordinate g maps to (g + 0.5) cells.
  const lines = levels
    .flatMap((level) => isoline(field, level))
    .map(([x0, y0, x1, y1]) => `M${fmt(left + (x0 + 0.5) * cellW)} ${fmt(plotTop + (y0 + 0.5) * cellH)}L${fmt(left + (x1 + 0.5) * cellW)} ${fmt(plotTop + (y1 + 0.5) * cellH)}`)
    .join('');
  const clipId = `plot${index}`;
  const paths = panel.paths.map(({ points, outcome }) => {
    const d = thinned(points.map(([x, y]) => [toX(x), toY(y)] as const)).map(([x, y], k) => `${k ? 'L' : 'M'}${fmt(x)} ${fmt(y)}`).join('');
    const [sx, sy] = points[0];
    const dash = outcome === 'other' ? ' stroke-dasharray="3 2"' : '';
    return `<path d="${d}" fill="none" stroke="${PATH_COLOURS[outcome]}" stroke-width="1.3" stroke-opacity="0.9"${dash}/><circle cx="${fmt(toX(sx))}" cy="${fmt(toY(sy))}" r="2.5" fill="${PATH_COLOURS[outcome]}" stroke="#000" stroke-width="0.6"/>`;
  });
  const { sharp, flat } = surface;
  return [
    `<g>`,
    `<text x="${left}" y="${top + 15}" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`,
    ...panel.subtitles.map((line, k) => `<text x="${left}" y="${top + 31 + 15 * k}" font-size="11" fill="#333">${escapeXml(line)}</text>`),
    `<clipPath id="${clipId}"><rect x="${left}" y="${plotTop}" width="${PANEL_WIDTH}" height="${plotHeight}"/></clipPath>`,
    `<g clip-path="url(#${clipId})" shape-rendering="crispEdges">${rects.join('')}</g>`,
    `<path d="${lines}" clip-path="url(#${clipId})" fill="none" stroke="#000" stroke-opacity="0.35" stroke-width="0.6"/>`,
    `<g clip-path="url(#${clipId})">${paths.join('')}</g>`,
    marker(toX(sharp.x), toY(sharp.y), 'sharp'),
    marker(toX(flat.x), toY(flat.y), 'flat'),
    `<rect x="${left}" y="${plotTop}" width="${PANEL_WIDTH}" height="${plotHeight}" fill="none" stroke="#444" stroke-width="0.8"/>`,
    `</g>`,
  ].join('\n');
}

function marker(x: number, y: number, kind: 'sharp' | 'flat'): string {
  if (kind === 'sharp') {
    return `<path d="M${fmt(x - 5)} ${fmt(y - 5)}L${fmt(x + 5)} ${fmt(y + 5)}M${fmt(x - 5)} ${fmt(y + 5)}L${fmt(x + 5)} ${fmt(y - 5)}" stroke="#000" stroke-width="3.5"/><path d="M${fmt(x - 5)} ${fmt(y - 5)}L${fmt(x + 5)} ${fmt(y + 5)}M${fmt(x - 5)} ${fmt(y + 5)}L${fmt(x + 5)} ${fmt(y - 5)}" stroke="${PATH_COLOURS.sharp}" stroke-width="1.8"/>`;
  }
  return `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="5" fill="none" stroke="#000" stroke-width="3.5"/><circle cx="${fmt(x)}" cy="${fmt(y)}" r="5" fill="none" stroke="#fff" stroke-width="1.8"/>`;
}

function legend(surface: ToySurface, left: number, top: number, width: number): string {
  const { sharp, flat } = surface;
  const item = (x: number, colour: string, text: string, dash = '') =>
    `<path d="M${x} ${top + 8}h22" stroke="${colour}" stroke-width="2.5"${dash}/><path d="M${x} ${top + 8}h22" stroke="#000" stroke-width="0.5"${dash}/><text x="${x + 28}" y="${top + 12}" font-size="12">${escapeXml(text)}</text>`;
  return [
    `<rect x="${left}" y="${top - 4}" width="${width}" height="24" fill="#222" rx="3"/>`,
    item(left + 8, PATH_COLOURS.sharp, `to sharp min. x (L*=${sharp.loss}, curv. ${sharp.curvature})`),
    item(left + 285, PATH_COLOURS.flat, `to flat min. o (L*=${flat.loss}, curv. ${flat.curvature})`),
    item(left + 555, PATH_COLOURS.other, 'neither', ' stroke-dasharray="3 2"'),
  ]
    .join('\n')
    .replace(/<text /g, '<text fill="#fff" ');
}

/** BANDS levels evenly between the field's minimum and the ceiling. */
function evenLevels(field: Field, ceiling: number): number[] {
  let low = Infinity;
  for (let i = 0; i < field.values.length; i++) low = Math.min(low, field.values[i]);
  const step = (ceiling - low) / BANDS;
  return Array.from({ length: BANDS }, (_, k) => low + (k + 1) * step);
}

function bandColour(band: number, bands: number): string {
  const t = Math.min(1, band / bands);
  const position = t * (RAMP.length - 1);
  const k = Math.min(RAMP.length - 2, Math.floor(position));
  return mix(RAMP[k], RAMP[k + 1], position - k);
}

function mix(a: string, b: string, t: number): string {
  const channel = (hex: string, i: number) => parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16);
  const parts = [0, 1, 2].map((i) => Math.round(channel(a, i) * (1 - t) + channel(b, i) * t));
  return `#${parts.map((p) => p.toString(16).padStart(2, '0')).join('')}`;
}

/** Drop path points under half a pixel from the last kept one (converged runs repeat a point). */
function thinned(points: ReadonlyArray<readonly [number, number]>): Array<readonly [number, number]> {
  const kept: Array<readonly [number, number]> = [];
  for (const p of points) {
    const last = kept[kept.length - 1];
    if (!last || Math.hypot(p[0] - last[0], p[1] - last[1]) >= 0.5) kept.push(p);
  }
  if (kept.length === 1 && points.length > 1) kept.push(points[points.length - 1]);
  return kept;
}

export function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(1) : '0';
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
