// `vdm compare <folders>...`: compare the runs found under the given folders and return the
// text to print; with --out/--report also write the tables, plots and HTML report.
import { UsageError } from '../errors.js';
import { resultFolderOf } from '../experiments/spec.js';
import { compareRuns } from '../compare/compareRuns.js';
import { formatComparison, outputFormats, type OutputFormat } from '../compare/formats.js';
import { writeComparisonOutputs } from '../compare/writeOutputs.js';

export interface CompareCommandOptions {
  /** table (default) | markdown | csv | json */
  format?: string;
  /** Folder for every format, the plots and report.html. */
  out?: string;
  /** Path of a self-contained HTML report. */
  report?: string;
  /** Label of the baseline variant. */
  baseline?: string;
  includeIncomplete?: boolean;
}

export async function runCompare(inputs: string[], opts: CompareCommandOptions = {}): Promise<string> {
  const format = parseFormat(opts.format);
  const comparison = await compareRuns(inputs.map(resultFolderOf), { baseline: opts.baseline, includeIncomplete: opts.includeIncomplete });
  const written = await writeComparisonOutputs(comparison, { out: opts.out, report: opts.report });
  const text = formatComparison(comparison, format);
  // Only the human format gets the list of files, so csv/json output stays parseable.
  if (format !== 'table' || written.length === 0) return text;
  const shown = [opts.out, opts.report].filter((path): path is string => path !== undefined);
  return `${text}\nWrote ${shown.join(' and ')}\n`;
}

function parseFormat(format: string | undefined): OutputFormat {
  if (format === undefined) return 'table';
  if ((outputFormats as readonly string[]).includes(format)) return format as OutputFormat;
  throw new UsageError(`--format '${format}' is not a format; valid: ${outputFormats.join(', ')}`);
}
