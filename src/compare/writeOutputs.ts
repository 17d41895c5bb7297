// Writes a comparison's files: every text format and the plots into an output folder, and/or
// the HTML report. Refuses to write into a run folder, since compare must leave runs untouched.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError, asFileSystemError } from '../errors.js';
import { makeFolder, writeFileAtomic } from '../files/safeWrite.js';
import { formatComparison } from './formats.js';
import { comparisonPlots } from './plots.js';
import { renderPng, renderSvg } from './render.js';
import { htmlReport, type RenderedPlot, type ReportExtras } from './report.js';
import { displayTable } from './table.js';
import type { Comparison } from './types.js';

export interface OutputPaths {
  /** Folder for comparison.{txt,md,csv,json}, plots/*.{svg,png} and report.html. */
  out?: string;
  /** Path of the self-contained HTML report. */
  report?: string;
  /** More plots and an appendix for the HTML report (vdm run --evidence). */
  extras?: ReportExtras;
}

/** The paths written, in order. */
export async function writeComparisonOutputs(comparison: Comparison, paths: OutputPaths): Promise<string[]> {
  if (paths.out === undefined && paths.report === undefined) return [];
  for (const target of [paths.out, paths.report && dirname(paths.report)]) {
    if (target && isRunFolder(target)) {
      throw new UsageError(`${target}: is a run folder; write comparison outputs elsewhere (compare never modifies runs)`);
    }
  }
  const plots = comparisonPlots(comparison);
  const rendered: (RenderedPlot & { name: string })[] = [];
  for (const plot of plots) rendered.push({ name: plot.name, title: plot.title, svg: await renderSvg(plot.spec) });
  const report = htmlReport(comparison, displayTable(comparison), rendered, new Date(), paths.extras);
  const written: string[] = [];
  // Each file appears whole or not at all: a full disk leaves no truncated comparison.json.
  const write = (path: string, content: string | Buffer) => {
    try {
      makeFolder(dirname(path));
      writeFileAtomic(path, content);
    } catch (error) {
      throw asFileSystemError(error, 'write', path);
    }
    written.push(path);
  };
  if (paths.out !== undefined) {
    const formats = { txt: 'table', md: 'markdown', csv: 'csv', json: 'json' } as const;
    for (const [extension, format] of Object.entries(formats)) {
      write(join(paths.out, `comparison.${extension}`), formatComparison(comparison, format));
    }
    for (const plot of rendered) {
      write(join(paths.out, 'plots', `${plot.name}.svg`), plot.svg);
      write(join(paths.out, 'plots', `${plot.name}.png`), renderPng(plot.svg));
    }
    write(join(paths.out, 'report.html'), report);
  }
  if (paths.report !== undefined) write(paths.report, report);
  return written;
}

function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, 'run.json')) || existsSync(join(dir, 'metrics.csv'));
}
