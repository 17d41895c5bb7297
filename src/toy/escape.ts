// `vdm toy --noise`: escape from the sharp minimum under noisy heavy-ball descent, per method
// (plain GD first, then each VDM), measured over many runs and set beside Kramers' prediction.
import { join } from 'node:path';
import { makeFolder, writeFileAtomic, writeJsonAtomic } from '../files/safeWrite.js';
import { vdms } from '../vdms/index.js';
import type { VdmChoice } from './choice.js';
import { escapeFigure } from './escapeFigure.js';
import { estimateEscape, type EscapeEstimate } from './escapeStats.js';
import { findBarrier, predictEscape, type Barrier, type KramersPrediction } from './kramers.js';
import { noisyDescend } from './noisy.js';
import { elementwise } from './run.js';
import { defaultSurface, type ToySurface } from './surface.js';

export interface EscapeOptions {
  readonly vdms: readonly VdmChoice[];
  readonly lr: number;
  readonly sigma: number;
  readonly momentum: number;
  readonly runs: number;
  readonly steps: number;
  readonly seed: number;
  /** Folder for toy-escape.{csv,json,svg} and toy-escape-times.csv; nothing is written without it. */
  readonly out?: string;
  readonly surface?: ToySurface;
}

export interface EscapeMethod {
  readonly label: string;
  readonly estimate: EscapeEstimate;
  readonly prediction: KramersPrediction;
  /** measured mean / Kramers (integral form). */
  readonly ratio: number;
  readonly escapeSteps: Int32Array;
}

export interface EscapeResult {
  readonly surface: ToySurface;
  readonly options: Omit<EscapeOptions, 'vdms' | 'surface' | 'out'>;
  readonly barrier: Barrier;
  readonly methods: EscapeMethod[];
  readonly files?: { readonly table: string; readonly json: string; readonly times: string; readonly svg: string };
}

export function runEscape(options: EscapeOptions): EscapeResult {
  const surface = options.surface ?? defaultSurface;
  const barrier = findBarrier(surface);
  const plain: VdmChoice = { label: 'plain', entry: vdms.get('none'), params: {} };
  const starts = Array.from({ length: options.runs }, () => [surface.sharp.x, surface.sharp.y] as const);
  const noise = { lr: options.lr, sigma: options.sigma, momentum: options.momentum };
  const methods = [plain, ...options.vdms].map((choice): EscapeMethod => {
    const isPlain = choice.entry.name === 'none';
    const dphi = (losses: Float32Array) => (isPlain ? new Float32Array(losses.length).fill(1) : elementwise(choice, 'dphi', losses));
    const run = noisyDescend({ surface, ...noise, steps: options.steps, starts, seed: options.seed, escapeAt: barrier.escapeAt, dphi: isPlain ? undefined : dphi });
    const estimate = estimateEscape(run.escapeSteps, options.steps, options.seed);
    const prediction = predictEscape(surface, barrier, dphi, noise);
    return { label: choice.label, estimate, prediction, ratio: estimate.mean / prediction.integralSteps, escapeSteps: run.escapeSteps };
  });
  const { vdms: _vdms, surface: _surface, out, ...settings } = options;
  const result: EscapeResult = { surface, options: settings, barrier, methods };
  return out ? { ...result, files: writeEscapeFiles(out, result) } : result;
}

function writeEscapeFiles(out: string, result: EscapeResult) {
  makeFolder(out);
  const files = {
    table: join(out, 'toy-escape.csv'),
    json: join(out, 'toy-escape.json'),
    times: join(out, 'toy-escape-times.csv'),
    svg: join(out, 'toy-escape.svg'),
  };
  writeFileAtomic(files.table, escapeTableCsv(result));
  writeJsonAtomic(files.json, escapeJson(result));
  writeFileAtomic(files.times, escapeTimesCsv(result));
  writeFileAtomic(files.svg, escapeFigure(result));
  return files;
}

const quote = (text: string) => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

export const ESCAPE_TABLE_COLUMNS = [
  'vdm', 'runs', 'escaped', 'share_escaped', 'mean_steps', 'ci95_low', 'ci95_high', 'mean_of_escaped', 'median_steps',
  'kramers_steps', 'ratio', 'kramers_harmonic_steps', 'barrier', 'phi_barrier', 'temperature', 'barrier_over_temperature',
  'phi_prime_min', 'phi_prime_saddle', 'curvature_min', 'curvature_saddle', 'step_check',
] as const;

function escapeTableCsv(result: EscapeResult): string {
  const lines = [ESCAPE_TABLE_COLUMNS.join(',')];
  for (const m of result.methods) {
    const { estimate: e, prediction: p } = m;
    lines.push(
      [
        quote(m.label), e.runs, e.escaped, e.share, e.mean, e.ciLow, e.ciHigh, e.meanOfEscaped, e.median,
        p.integralSteps, m.ratio, p.harmonicSteps, p.barrier, p.phiBarrier, p.temperature, p.barrier / p.temperature,
        p.scaleAtMinimum, p.scaleAtSaddle, p.minimumCurvature, p.saddleCurvature, p.stepCheck,
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** JSON has no Infinity or NaN: those become null. */
function escapeJson(result: EscapeResult): unknown {
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    model: 'heavy-ball SGD, d <- mu*d + lr*phi\'(L)*(grad L + sigma*xi), w <- w - d; escape when past the line halfway from the saddle to the flat minimum',
    estimator: 'censoring-aware mean (exponential MLE: total observed steps / escaped runs); 95% CI: percentile bootstrap over runs',
    prediction: 'Kramers rate, integral (flux-over-population) form along the axis of the minima; harmonic form beside it',
    settings: result.options,
    surface: result.surface,
    barrier: result.barrier,
    methods: result.methods.map((m) => ({
      vdm: m.label,
      ...Object.fromEntries(Object.entries(m.estimate).map(([k, v]) => [k, finite(v)])),
      ratio: finite(m.ratio),
      kramers: Object.fromEntries(Object.entries(m.prediction).map(([k, v]) => [k, finite(v)])),
    })),
  };
}

function escapeTimesCsv(result: EscapeResult): string {
  const lines = ['vdm,run,escape_step'];
  for (const m of result.methods) m.escapeSteps.forEach((s, i) => lines.push(`${quote(m.label)},${i},${s > 0 ? s : ''}`));
  return `${lines.join('\n')}\n`;
}
