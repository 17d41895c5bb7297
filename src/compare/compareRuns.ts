// The `vdm compare` computation: find runs, read them, group them into variants, and summarise
// each variant against the baseline. Pure reading; formatting and writing live elsewhere.
import { VdmError, asFileSystemError } from '../errors.js';
import { chooseBaseline, differingKeys, groupRuns, type RunGroup } from './grouping.js';
import { findRunFolders } from './discover.js';
import { readRunFolder } from './runFolder.js';
import { seedWarnings, undeclaredDifferenceWarnings } from './consistency.js';
import { flatnessSettingsOf, iterationCapWarning } from './settings.js';
import { runRef, summarizeVariants } from './summarize.js';
import type { CompareOptions, Comparison, ConfigDifference, ExcludedRun, RunRecord } from './types.js';

/**
 * Every run folder that can be read; one that cannot (a missing CSV column, an invalid run.json
 * or config.yaml) is left out with a warning naming its file, so one bad run does not stop the
 * comparison of the others. When no run can be read, the first run's problem is the error.
 */
function readRuns(inputs: readonly string[]): { runs: RunRecord[]; warnings: string[] } {
  const runs: RunRecord[] = [];
  const problems: VdmError[] = [];
  for (const dir of findRunFolders(inputs, problems)) {
    try {
      runs.push(readRunFolder(dir));
    } catch (thrown) {
      const error = asFileSystemError(thrown, 'read', undefined);
      if (!(error instanceof VdmError)) throw error;
      problems.push(error);
    }
  }
  if (runs.length === 0 && problems.length > 0) throw problems[0];
  return { runs, warnings: problems.map((problem) => `skipped a run: ${problem.message}`) };
}

export async function compareRuns(inputs: string[], options: CompareOptions = {}): Promise<Comparison> {
  const read = readRuns(inputs);
  const grouping = groupRuns(read.runs);
  const chosen = chooseBaseline(grouping.groups, options.baseline);
  const groups = baselineFirst(grouping.groups, chosen.baseline);
  const warnings = [...read.warnings, ...grouping.warnings, ...chosen.warnings];
  warnings.push(...undeclaredDifferenceWarnings(groups, chosen.baseline));

  const excluded: ExcludedRun[] = [];
  const usable = groups.map((group) => {
    const kept = group.runs.filter((run) => {
      const reason = exclusionReason(run, options.includeIncomplete ?? false);
      if (reason !== null) excluded.push({ ...runRef(run), variant: group.label, reason });
      return reason === null;
    });
    warnings.push(...seedWarnings(group.label, kept.map((run) => run.info.seed)));
    return { label: group.label, runs: kept };
  });
  const baselineIndex = chosen.baseline === null ? -1 : groups.indexOf(chosen.baseline);
  const counted = usable.flatMap((group) => group.runs);
  const capWarning = iterationCapWarning(counted);
  if (capWarning !== null) warnings.push(capWarning);
  return {
    experiment: experimentName(read.runs),
    baseline: chosen.baseline?.label ?? null,
    holmCorrected: chosen.baseline !== null && usable.filter((group) => group.runs.length > 0).length > 2,
    flatnessSettings: flatnessSettingsOf(counted),
    variants: summarizeVariants(usable, usable[baselineIndex] ?? null),
    excluded,
    warnings,
    configDifferences: configDifferences(groups),
  };
}

/** Why a run stays out of the statistics, or null when it counts. */
function exclusionReason(run: RunRecord, includeIncomplete: boolean): string | null {
  if (run.metrics.length === 0) return 'no epochs recorded';
  if (run.info.status === 'completed' || includeIncomplete) return null;
  return run.info.message ? `${run.info.status}: ${run.info.message}` : run.info.status;
}

/** The experiment the runs belong to (run.json, else the config's name), when they agree on one. */
function experimentName(runs: readonly RunRecord[]): string | null {
  const names = new Set(runs.map((run) => run.info.experiment ?? (typeof run.config.name === 'string' ? run.config.name : null)));
  return names.size === 1 ? [...names][0]! : null;
}

function baselineFirst(groups: readonly RunGroup[], baseline: RunGroup | null): RunGroup[] {
  return baseline === null ? [...groups] : [baseline, ...groups.filter((group) => group !== baseline)];
}

function configDifferences(groups: readonly RunGroup[]): ConfigDifference[] {
  return differingKeys(groups.map((group) => group.config)).map((key) => ({
    key,
    values: Object.fromEntries(groups.map((group) => [group.label, group.config[key]])),
  }));
}
