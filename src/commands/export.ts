// `vdm export RUN --format safetensors [--out FILE]`: a run's final weights under PyTorch's names.
import { UsageError } from '../errors.js';
import { EXPORT_FORMATS, exportRun, type ExportFormat } from '../export/exportRun.js';

export interface ExportCommandOptions {
  format?: string;
  out?: string;
}

export async function exportCommand(runDir: string, opts: ExportCommandOptions, log: (line: string) => void): Promise<void> {
  const format = opts.format ?? 'safetensors';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format '${format}' is not an export format; valid: ${EXPORT_FORMATS.join(', ')}`);
  }
  const result = await exportRun(runDir, { format: format as ExportFormat, out: opts.out });
  log(`wrote ${result.file}: ${result.model} after ${result.epochs} epochs, ${result.tensors} tensors, ${result.values} values`);
  log(`names and layouts follow ${result.definition}; load with load_state_dict(strict=True)`);
}
