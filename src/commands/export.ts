// `vdm export RUN --format safetensors [--out FILE] [--which last|best]`: a run's final (or best
// epoch's) weights under PyTorch's names.
import { UsageError } from '../errors.js';
import { EXPORT_FORMATS, exportRun, type ExportFormat } from '../export/exportRun.js';

export interface ExportCommandOptions {
  format?: string;
  out?: string;
  /** last (default) or best: the checkpoint best.json names. */
  which?: string;
}

export async function exportCommand(runDir: string, opts: ExportCommandOptions, log: (line: string) => void): Promise<void> {
  const format = opts.format ?? 'safetensors';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format '${format}' is not an export format; valid: ${EXPORT_FORMATS.join(', ')}`);
  }
  const which = opts.which ?? 'last';
  if (which !== 'last' && which !== 'best') throw new UsageError(`--which '${which}' is not a checkpoint; valid: last, best`);
  const result = await exportRun(runDir, { format: format as ExportFormat, out: opts.out, which });
  log(`wrote ${result.file}: ${result.model} after ${result.epochs} epochs${which === 'best' ? ' (its best epoch, best.json)' : ''}, ${result.tensors} tensors, ${result.values} values`);
  log(`names and layouts follow ${result.definition}; load with load_state_dict(strict=True)`);
}
