// `vdm export RUN --format safetensors [--out FILE] [--which last|best|swa]`: a run's final (best
// epoch's, or SWA average's) weights under PyTorch's names.
import { UsageError } from '../errors.js';
import { EXPORT_FORMATS, exportRun, type ExportFormat } from '../export/exportRun.js';

export interface ExportCommandOptions {
  format?: string;
  out?: string;
  /** last (default), best (the checkpoint best.json names) or swa (the SWA average). */
  which?: string;
}

export async function exportCommand(runDir: string, opts: ExportCommandOptions, log: (line: string) => void): Promise<void> {
  const format = opts.format ?? 'safetensors';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format '${format}' is not an export format; valid: ${EXPORT_FORMATS.join(', ')}`);
  }
  const which = opts.which ?? 'last';
  if (which !== 'last' && which !== 'best' && which !== 'swa') throw new UsageError(`--which '${which}' is not a checkpoint; valid: last, best, swa`);
  const result = await exportRun(runDir, { format: format as ExportFormat, out: opts.out, which });
  const what = which === 'best' ? ' (its best epoch, best.json)' : which === 'swa' ? ` (the SWA average of ${result.swaEpochsAveraged} epochs, BatchNorm statistics recomputed)` : '';
  log(`wrote ${result.file}: ${result.model} after ${result.epochs} epochs${what}, ${result.tensors} tensors, ${result.values} values`);
  log(`names and layouts follow ${result.definition}; load with load_state_dict(strict=True)`);
}
