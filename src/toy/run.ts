// `vdm toy`: plain and deformed gradient descent on the toy surface from a grid of starts, with
// where each run ends, the predicted stability of each minimum, and the files to look at.
import { makeFolder, writeFileAtomic } from '../files/safeWrite.js';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { vdms } from '../vdms/index.js';
import { vdmOptionsSchema } from '../vdms/options.js';
import type { VdmEntry } from '../vdms/types.js';
import { checkDeformation } from '../vdms/validate.js';
import type { VdmChoice } from './choice.js';
import { descend, startGrid, type EndPoint, type Outcome } from './descent.js';
import { toyFigure, type FigurePanel } from './figure.js';
import { stabilityAt, type MinimumStability } from './stability.js';
import { defaultSurface, evaluate, type ToySurface } from './surface.js';

export interface ToyOptions {
  /** Deformations to compare; plain gradient descent always runs first. */
  readonly vdms: readonly VdmChoice[];
  readonly lr: number;
  /** About this many starts, laid out on a square grid. */
  readonly starts: number;
  readonly steps?: number;
  /** Folder for toy-endpoints.csv and toy.svg; nothing is written without it. */
  readonly out?: string;
  readonly surface?: ToySurface;
}

export interface ToyRun {
  readonly label: string;
  readonly entry: VdmEntry;
  /** Fraction of starts ending at each minimum, or neither (cycling, stalled, gone). */
  readonly shares: Record<Outcome, number>;
  readonly stability: MinimumStability[];
  /** checkDeformation's complaint over the losses the starts see, if any. */
  readonly warning?: string;
  readonly ends: EndPoint[];
  readonly paths: Array<Array<[number, number]>>;
}

export interface ToyResult {
  readonly surface: ToySurface;
  readonly lr: number;
  readonly steps: number;
  readonly startCount: number;
  readonly runs: ToyRun[];
  readonly files?: { readonly csv: string; readonly svg: string };
}

export const TOY_DEFAULT_STEPS = 1000;
/** The figure shades phi(L) up to phi of this loss; above it is one colour. */
const FIGURE_LOSS_CEILING = 3;
const FIGURE_COLUMNS = 140;

export async function runToy(options: ToyOptions): Promise<ToyResult> {
  const surface = options.surface ?? defaultSurface;
  const steps = options.steps ?? TOY_DEFAULT_STEPS;
  const starts = startGrid(surface, options.starts);
  const tracked = trackedStarts(starts.length);
  const highestStartLoss = Math.max(...starts.map(([x, y]) => evaluate(surface, x, y).loss));
  const plain: VdmChoice = { label: 'plain', entry: vdms.get('none'), params: {} };
  const runs = [plain, ...options.vdms].map((choice) => {
    const dphi = (losses: Float32Array) => elementwise(choice, 'dphi', losses);
    const result = descend({ surface, lr: options.lr, steps, starts, tracked, dphi: choice.entry.name === 'none' ? undefined : dphi });
    const scales = dphi(Float32Array.of(surface.sharp.loss, surface.flat.loss));
    return {
      label: choice.label,
      entry: choice.entry,
      shares: sharesOf(result.ends),
      stability: [stabilityAt(surface.sharp, scales[0], options.lr), stabilityAt(surface.flat, scales[1], options.lr)],
      warning: checkDeformation({
        entry: choice.entry,
        params: choice.params,
        options: vdmOptionsSchema.parse({ loss_max: highestStartLoss }),
      }),
      ...result,
    };
  });
  const files = options.out ? await writeFiles(options.out, surface, runs, [plain, ...options.vdms]) : undefined;
  return { surface, lr: options.lr, steps, startCount: starts.length, runs, files };
}

export function elementwise(choice: VdmChoice, which: 'phi' | 'dphi', values: Float32Array): Float32Array {
  return tf.tidy(() => choice.entry[which](tf.tensor1d(values), choice.params).dataSync() as Float32Array);
}

function sharesOf(ends: readonly EndPoint[]): Record<Outcome, number> {
  const counts: Record<Outcome, number> = { sharp: 0, flat: 0, other: 0 };
  for (const end of ends) counts[end.outcome]++;
  return { sharp: counts.sharp / ends.length, flat: counts.flat / ends.length, other: counts.other / ends.length };
}

/** A 3 x 4 spread over the square start grid, for the figure's sample trajectories. */
function trackedStarts(count: number): number[] {
  const side = Math.round(Math.sqrt(count));
  const rows = [1 / 6, 1 / 2, 5 / 6].map((f) => Math.floor(f * side));
  const cols = [0.05, 0.4, 0.7, 0.95].map((f) => Math.floor(f * side));
  return rows.flatMap((row) => cols.map((col) => row * side + col)).filter((i) => i < count);
}

async function writeFiles(out: string, surface: ToySurface, runs: readonly ToyRun[], choices: readonly VdmChoice[]) {
  makeFolder(out);
  const csv = join(out, 'toy-endpoints.csv');
  const svg = join(out, 'toy.svg');
  writeFileAtomic(csv, endPointsCsv(runs));
  const panels = runs.map((run, i) => figurePanel(surface, run, choices[i]));
  writeFileAtomic(svg, toyFigure(surface, panels));
  return { csv, svg };
}

function endPointsCsv(runs: readonly ToyRun[]): string {
  const quote = (text: string) => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const lines = ['vdm,start_x,start_y,end_x,end_y,end_loss,outcome'];
  for (const run of runs) {
    for (const e of run.ends) {
      lines.push([quote(run.label), e.startX, e.startY, e.x, e.y, e.loss, e.outcome].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

function figurePanel(surface: ToySurface, run: ToyRun, choice: VdmChoice): FigurePanel {
  const { view } = surface;
  const cols = FIGURE_COLUMNS;
  const rows = Math.round((cols * (view.yMax - view.yMin)) / (view.xMax - view.xMin));
  const losses = new Float32Array(cols * rows);
  for (let r = 0; r < rows; r++) {
    const y = view.yMax - ((r + 0.5) * (view.yMax - view.yMin)) / rows;
    for (let c = 0; c < cols; c++) {
      losses[r * cols + c] = evaluate(surface, view.xMin + ((c + 0.5) * (view.xMax - view.xMin)) / cols, y).loss;
    }
  }
  const isPlain = run.entry.name === 'none';
  const [ceiling] = elementwise(choice, 'phi', Float32Array.of(FIGURE_LOSS_CEILING));
  const percent = (x: number) => `${Math.round(100 * x)}%`;
  const params = Object.entries(choice.params as Record<string, unknown>).map(([k, v]) => `${k}=${v}`).join(', ');
  return {
    title: isPlain ? 'plain gradient descent' : `${choice.entry.name}${params ? ` (${params})` : ''}`,
    subtitles: [
      isPlain ? 'descends L' : `descends phi(L) = ${run.entry.name === 'expr' ? (choice.params as { phi: string }).phi : run.entry.formula}`,
      `ends: sharp ${percent(run.shares.sharp)}, flat ${percent(run.shares.flat)}, neither ${percent(run.shares.other)}`,
      `predicted: ${run.stability.map((s) => `${s.minimum} ${s.stable ? 'stable' : 'unstable'} (curv. ${s.curvature} ${s.stable ? '<' : '>'} ${s.curvatureLimit.toPrecision(3)})`).join(', ')}`,
    ],
    field: { cols, rows, values: isPlain ? losses : elementwise(choice, 'phi', losses) },
    ceiling,
    paths: run.paths.map((points, k) => ({ points, outcome: run.ends[trackedStarts(run.ends.length)[k]].outcome })),
  };
}
