// What each variant trained, as the report's settings table shows it: one short text per setting,
// read from the runs' config.yaml (flattened) and run.json (the backend that actually ran).
import { formatConfigValue } from './flatten.js';
import type { RunRecord } from './types.js';

/** The settings table's rows, in order: its header cell and how to read it from one run. */
export const settingsRows: readonly { key: string; title: string; read: (run: RunRecord) => string }[] = [
  { key: 'model', title: 'Model', read: (run) => withParams(run.config, 'model', ['name']) },
  { key: 'dataset', title: 'Data set', read: (run) => text(run.config['dataset.name']) },
  { key: 'subset', title: 'Subset (train/test)', read: subset },
  { key: 'epochs', title: 'Epochs', read: (run) => text(run.config.epochs) },
  { key: 'batch', title: 'Batch', read: (run) => text(run.config['dataset.batch_size']) },
  { key: 'optimizer', title: 'Optimizer', read: (run) => withParams(run.config, 'optimizer', ['name', 'lr', 'weight_decay']) },
  { key: 'lr', title: 'lr', read: (run) => text(run.config['optimizer.lr']) },
  { key: 'schedule', title: 'Schedule', read: (run) => withParams(run.config, 'schedule', ['name']) },
  { key: 'wd', title: 'Weight decay', read: (run) => text(run.config['optimizer.weight_decay']) },
  { key: 'vdm', title: 'VDM', read: (run) => withParams(run.config, 'vdm', ['name']) },
  { key: 'swa', title: 'SWA', read: swa },
  { key: 'backend', title: 'Backend', read: (run) => run.info.backend ?? text(run.config.backend) },
];

function text(value: unknown): string {
  return value === undefined || value === null ? '–' : formatConfigValue(value);
}

/** 'sgd (momentum 0.9, nesterov false)': the name, then the section's other keys. */
function withParams(config: Record<string, unknown>, section: string, leaveOut: readonly string[]): string {
  const prefix = `${section}.`;
  const params = Object.entries(config)
    .filter(([key]) => key.startsWith(prefix) && !leaveOut.includes(key.slice(prefix.length)))
    .map(([key, value]) => `${key.slice(prefix.length)} ${formatConfigValue(value)}`);
  const name = text(config[`${section}.name`]);
  return params.length === 0 ? name : `${name} (${params.join(', ')})`;
}

/** 'from epoch 4 (lr 0.01, anneal_epochs 1, anneal_strategy cos)', or '–' for a run without SWA. */
function swa(run: RunRecord): string {
  const start = run.config['swa.start_epoch'];
  if (start === undefined) return '–';
  return withParams({ ...run.config, 'swa.name': `from epoch ${formatConfigValue(start)}` }, 'swa', ['name', 'start_epoch']);
}

function subset(run: RunRecord): string {
  const train = run.config['dataset.subset.train'];
  const test = run.config['dataset.subset.test'];
  if (train === undefined && test === undefined) return 'all';
  return `${train ?? 'all'}/${test ?? 'all'}`;
}

/** One text per setting; runs of one variant that disagree (a backend, say) show every value. */
export function variantSettings(runs: readonly RunRecord[]): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const row of settingsRows) settings[row.key] = distinct(runs.map(row.read));
  const seeds = [...new Set(runs.map((run) => run.info.seed))].sort((a, b) => (a ?? -1) - (b ?? -1));
  settings.seeds = seeds.length === 0 ? '–' : seeds.map((seed) => seed ?? '?').join(', ');
  return settings;
}

/** The settings table's header cells by key, seeds last. */
export const settingsTitles: Record<string, string> = {
  ...Object.fromEntries(settingsRows.map((row) => [row.key, row.title])),
  seeds: 'Seeds',
};

export function distinct(values: readonly string[]): string {
  const unique = [...new Set(values)];
  return unique.length === 0 ? '–' : unique.join(' | ');
}

/**
 * flatness.json settings over every run that has them: key -> its distinct values. Runs measured
 * differently (another --samples, say) are then visible in the report's appendix.
 */
export function flatnessSettingsOf(runs: readonly RunRecord[]): Record<string, string> {
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run.flatnessSettings ?? {})))].sort();
  const perRun = ['iterations_run', 'converged'];
  return Object.fromEntries(
    keys
      .filter((key) => !perRun.includes(key))
      .map((key) => [key, distinct(runs.filter((run) => run.flatnessSettings?.[key] !== undefined).map((run) => formatConfigValue(run.flatnessSettings![key])))]),
  );
}

/**
 * Runs whose power iteration stopped at its --iterations cap without converging: their λmax is a
 * lower bound. Older flatness.json files record no `converged`; there iterations_run reaching the
 * cap counts.
 */
export function iterationCapWarning(runs: readonly RunRecord[]): string | null {
  const capped = runs.filter((run) => {
    const settings = run.flatnessSettings;
    if (settings === null) return false;
    if (typeof settings.converged === 'boolean') return !settings.converged;
    const cap = settings.iterations;
    return typeof cap === 'number' && typeof settings.iterations_run === 'number' && settings.iterations_run >= cap;
  });
  if (capped.length === 0) return null;
  const counted = runs.filter((run) => run.flatnessSettings !== null).length;
  return (
    `the power iteration stopped at its --iterations cap without converging in ${capped.length} of ${counted} runs ` +
    `(${capped.map((run) => run.dir).join(', ')}): their hessian_top_eigenvalue is a lower bound; measure again with a larger --iterations`
  );
}
