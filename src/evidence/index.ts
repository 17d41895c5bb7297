// `vdm run EXPERIMENT --evidence` after training: flatness of every run, 1-D landscapes of every
// run, 2-D maps and baseline <-> variant interpolations for the first seed, then the comparison and
// one HTML report holding every table and plot and an appendix of the settings. Every step resumes:
// flatness.json measured with the same settings is kept, landscape grids resume from their CSVs.
import { basename, join } from 'node:path';
import type { BackendChoice } from '../backend/resolve.js';
import { compareRuns } from '../compare/compareRuns.js';
import { formatComparison } from '../compare/formats.js';
import type { RenderedPlot, ReportExtras } from '../compare/report.js';
import { writeComparisonOutputs } from '../compare/writeOutputs.js';
import { DataError } from '../errors.js';
import { folderOf } from '../experiments/runner.js';
import type { Experiment } from '../experiments/spec.js';
import { measureRunFolder, unusableReason } from '../flatness/runFolder.js';
import { drawLandscapes, landscapeDefaults, type LandscapeRequest } from '../landscape/index.js';
import { plainProgress, terminalProgress, wantsLiveBar } from '../landscape/progress.js';
import { MiB, readBoundedText, readJsonIfPresent } from '../files/boundedRead.js';
import type { EvidenceSettings } from './settings.js';

export { evidenceDefaults, evidenceKeys, parseEvidenceFlag, resolveEvidenceSettings, type EvidenceSettings } from './settings.js';

export interface EvidenceOptions {
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly backend?: BackendChoice;
  /** Plain progress lines instead of a bar (tests, logs). */
  readonly quiet?: boolean;
}

export interface EvidenceResult {
  /** The HTML report. */
  readonly report: string;
  /** The comparison table as printed. */
  readonly table: string;
  /** Runs measured (completed, with a checkpoint). */
  readonly runs: string[];
}

export interface MeasuredRun {
  readonly dir: string;
  readonly variant: string;
  readonly seed: number;
}

/** The experiment's completed runs with checkpoints, in file order; the others are named and left out. */
function usableRuns(experiment: Experiment, log: (line: string) => void): MeasuredRun[] {
  const runs: MeasuredRun[] = [];
  for (const run of experiment.runs) {
    const dir = folderOf(experiment, run);
    const reason = unusableReason(dir);
    if (reason === null) runs.push({ dir, variant: run.variant, seed: run.seed });
    else log(`evidence: left out ${dir} (${reason})`);
  }
  if (runs.length === 0) throw new DataError(`evidence: no completed run with a checkpoint under ${experiment.root}`);
  return runs;
}

function flatnessOptions(settings: EvidenceSettings, backend: BackendChoice | undefined) {
  return { samples: settings.samples, iterations: settings.iterations, probes: settings.probes, seed: settings.seed, backend };
}

/**
 * flatness.json already measured with these settings (a rerun after an interruption keeps it).
 * Its `samples` is what was used, which can be fewer than asked (a small data set): such a run is
 * measured again rather than kept on a guess.
 */
function measuredAlready(dir: string, settings: EvidenceSettings): boolean {
  const recorded = readJsonIfPresent<{ settings?: Record<string, unknown> }>(join(dir, 'flatness.json'))?.settings;
  if (recorded === undefined) return false;
  return (
    recorded.iterations === settings.iterations &&
    recorded.probes === settings.probes &&
    recorded.seed === settings.seed &&
    recorded.samples === settings.samples &&
    // Files from before exact products record no method: they were finite differences.
    (recorded.hvp_method ?? 'finite-difference') === 'exact'
  );
}

export async function measureFlatness(runs: readonly MeasuredRun[], settings: EvidenceSettings, options: EvidenceOptions): Promise<void> {
  options.log(`evidence: flatness of ${runs.length} runs (${settings.samples} samples, up to ${settings.iterations} power iterations, ${settings.probes} probes)`);
  for (const run of runs) {
    if (measuredAlready(run.dir, settings)) {
      options.log(`evidence: flatness of ${run.dir} already measured with these settings`);
      continue;
    }
    const started = performance.now();
    const { figures } = await measureRunFolder(run.dir, flatnessOptions(settings, options.backend));
    options.log(
      `evidence: flatness of ${run.dir}: lambda_max ${figures.hessian_top_eigenvalue.toPrecision(4)}${figures.converged ? '' : ' (hit the iteration cap)'}, ` +
        `trace ${figures.hessian_trace.toPrecision(4)}, ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
}

/** The landscape the evidence draws of each kind; the cluster's tasks compute the same ones. */
export function landscapeRequest(settings: EvidenceSettings, kind: LandscapeRequest['kind']): LandscapeRequest {
  const between = kind === 'between';
  return {
    kind,
    range: between ? landscapeDefaults.betweenRange : settings.range,
    steps: kind === '2d' ? settings.grid : between ? settings.betweenSteps : settings.steps,
    samples: settings.samples,
    seed: settings.seed,
    ignore: landscapeDefaults.ignore,
    bn: landscapeDefaults.bn,
    splits: ['train'],
    batchSize: null,
  };
}

/** Every landscape, each drawn into <root>/evidence/; returns the SVGs to embed, by section. */
async function drawAll(experiment: Experiment, runs: readonly MeasuredRun[], settings: EvidenceSettings, options: EvidenceOptions): Promise<ReportExtras['sections']> {
  const outDir = join(experiment.root, 'evidence');
  const progress = !options.quiet && wantsLiveBar() ? terminalProgress() : plainProgress(options.log);
  const draw = async (dirs: readonly string[], kind: LandscapeRequest['kind']) => {
    const result = await drawLandscapes(dirs, landscapeRequest(settings, kind), { backend: options.backend, signal: options.signal, progress, outDir });
    return result.plots.filter((plot) => plot.endsWith('.svg'));
  };
  const firstSeed = runs[0]!.seed;
  const firstSeedRuns = runs.filter((run) => run.seed === firstSeed);
  const baseline = firstSeedRuns.find((run) => run.variant === experiment.baseline);

  options.log(`evidence: 1-D landscapes of ${runs.length} runs (${settings.steps} points each)`);
  const oneD = await draw(runs.map((run) => run.dir), '1d');
  options.log(`evidence: 2-D landscapes of the seed-${firstSeed} runs (${settings.grid}×${settings.grid} points each)`);
  const twoD = await draw(firstSeedRuns.map((run) => run.dir), '2d');
  const between: string[] = [];
  for (const variant of firstSeedRuns.filter((run) => run !== baseline)) {
    if (baseline === undefined) break;
    options.log(`evidence: interpolation ${experiment.baseline} → ${variant.variant}, seed ${firstSeed} (${settings.betweenSteps} points)`);
    between.push(...(await draw([baseline.dir, variant.dir], 'between')));
  }
  const embed = (files: readonly string[]): RenderedPlot[] => files.map((file) => ({ title: basename(file, '.svg'), svg: readBoundedText(file, { maxBytes: 64 * MiB, what: 'plot' }) }));
  const sections: NonNullable<ReportExtras['sections']> = [
    { heading: '1-D loss landscapes', plots: embed(oneD), notes: [`Every run along one filter-normalised random direction (Li et al. 2018; biases and BatchNorm left out), ${settings.steps} points on ${settings.range.join('…')}; line: mean over seeds, band: min–max.`] },
    { heading: '2-D loss landscapes', plots: embed(twoD), notes: [`The seed-${firstSeed} run of each variant on two filter-normalised directions, ${settings.grid}×${settings.grid} points, shared contour levels.`] },
  ];
  if (between.length > 0) {
    sections.push({ heading: 'Interpolation between baseline and variants', plots: embed(between), notes: [`Weights and BatchNorm statistics interpolated from '${experiment.baseline}' (α = 0) to each variant (α = 1), seed ${firstSeed}.`] });
  } else {
    options.log(`evidence: no '${experiment.baseline}' run of seed ${firstSeed} with a checkpoint, so no interpolation`);
  }
  return sections;
}

function appendix(experiment: Experiment, runs: readonly MeasuredRun[], settings: EvidenceSettings): ReportExtras['appendix'] {
  const text = (value: unknown) => (Array.isArray(value) ? value.join(', ') : String(value));
  return [
    {
      heading: 'Landscapes',
      rows: [
        ['directions', 'seeded Gaussian, filter-normalised to the weights (Li et al. 2018)'],
        ['ignored parameters', `${landscapeDefaults.ignore} (biases and BatchNorm parameters zero in the directions)`],
        ['BatchNorm', `${landscapeDefaults.bn} (the run's own statistics, inference mode)`],
        ['1-D points', `${settings.steps} on ${text(settings.range)}`],
        ['2-D points', `${settings.grid}×${settings.grid} on ${text(settings.range)}, first seed`],
        ['interpolation points', `${settings.betweenSteps} on α ${text(landscapeDefaults.betweenRange)}, first seed`],
        ['samples', `${settings.samples} seeded, class-balanced training examples`],
        ['direction and subset seed', String(settings.seed)],
      ],
    },
    {
      heading: 'Flatness',
      rows: [
        ['samples', String(settings.samples)],
        ['power iterations (cap)', String(settings.iterations)],
        ['Hutchinson probes', String(settings.probes)],
        ['seed', String(settings.seed)],
      ],
    },
    {
      heading: 'Runs',
      rows: [
        ['experiment', `${experiment.name} (${experiment.file})`],
        ['baseline', experiment.baseline],
        ['seeds', experiment.seeds.join(', ')],
        ['runs measured', `${runs.length} of ${experiment.runs.length}`],
      ],
    },
  ];
}

export async function gatherEvidence(experiment: Experiment, settings: EvidenceSettings, options: EvidenceOptions): Promise<EvidenceResult> {
  const runs = usableRuns(experiment, options.log);
  await measureFlatness(runs, settings, options);
  const sections = await drawAll(experiment, runs, settings, options);
  const comparison = await compareRuns([experiment.root], { baseline: experiment.baseline });
  const report = join(experiment.root, 'report.html');
  await writeComparisonOutputs(comparison, {
    out: join(experiment.root, 'comparison'),
    report,
    extras: { sections, appendix: appendix(experiment, runs, settings), generator: 'vdm run --evidence' },
  });
  return { report, table: formatComparison(comparison, 'table'), runs: runs.map((run) => run.dir) };
}
