// Reads a VDM named on the command line, `name` or `name:key=value,key=value`
// (`expr:phi=log(1+3*L)`), into a registry entry with validated parameters.
import { UsageError } from '../errors.js';
import { vdms } from '../vdms/index.js';
import type { VdmEntry } from '../vdms/types.js';

export interface VdmChoice {
  /** As written, for labels. */
  readonly label: string;
  readonly entry: VdmEntry;
  readonly params: unknown;
}

export function parseVdmChoice(text: string): VdmChoice {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const entry = vdms.get(name);
  const raw: Record<string, unknown> = {};
  // Split only at commas that start a new key=, so a formula may contain commas.
  const pairs = colon < 0 ? [] : text.slice(colon + 1).split(/,(?=\s*[A-Za-z_]\w*\s*=)/);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 0) throw new UsageError(`--vdm '${text}': expected key=value after '${name}:', got '${pair}'`);
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    raw[key] = value !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
  }
  const parsed = entry.params.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new UsageError(`--vdm '${text}': ${where}${issue.message}`);
  }
  return { label: text, entry, params: parsed.data };
}
