// `vdm list [kind]`: every registry entry with its description and default parameters.
import { z } from 'zod';
import { registriesByBlock, type ParameterizedEntry } from '../config/registries.js';
import { objectSchemaOf } from '../config/schemaKeys.js';
import { SWA_CITATION, swaDefaults, swaSchema } from '../config/swa.js';
import { UsageError } from '../errors.js';
import { models } from '../models/index.js';
import { CIFAR10_SIZE, entryParameterCount, type ModelEntry } from '../models/types.js';
import type { VdmEntry } from '../vdms/types.js';

const KINDS = { models: 'model', datasets: 'dataset', optimizers: 'optimizer', schedules: 'schedule', vdms: 'vdm' } as const;
export type ListKind = keyof typeof KINDS;

/** Defaults of an entry's parameters, as `key=value` pairs (what an empty block resolves to). */
export function defaultParams(entry: ParameterizedEntry): string {
  const parsed = entry.params.safeParse({});
  if (!parsed.success || typeof parsed.data !== 'object' || parsed.data === null) return '';
  return Object.entries(parsed.data as Record<string, unknown>)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
}

/** One line per described parameter: `key: description`. */
function parameterNotes(entry: ParameterizedEntry): string[] {
  const schema = objectSchemaOf(entry.params);
  if (schema === undefined) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>)
    .filter(([, schema]) => schema.description)
    .map(([key, schema]) => `${key}: ${schema.description}`);
}

/** `parameters: 1,234,567 (32x32x3 input, 10 classes)` for a model entry at its defaults. */
function parameterLine(entry: ModelEntry): string {
  const size = entry.listedSize ?? CIFAR10_SIZE;
  const count = entryParameterCount(entry, entry.params.parse({}), size);
  return `parameters: ${count.toLocaleString('en-US')} (${size.inputShape.join('x')} input, ${size.numClasses} classes)`;
}

function describeEntry(entry: ParameterizedEntry, nameWidth: number): string {
  const lines = [`  ${entry.name.padEnd(nameWidth)}  ${entry.description}`];
  const vdm = entry as Partial<VdmEntry>;
  const indent = ' '.repeat(nameWidth + 4);
  if (vdm.formula) lines.push(`${indent}phi(L) = ${vdm.formula};  phi'(L) = ${vdm.derivativeFormula}`);
  const defaults = defaultParams(entry);
  if (defaults) lines.push(`${indent}defaults: ${defaults}`);
  if (models.has(entry.name) && models.get(entry.name) === entry) lines.push(`${indent}${parameterLine(entry as ModelEntry)}`);
  for (const note of parameterNotes(entry)) lines.push(`${indent}  ${note}`);
  if (vdm.reference) lines.push(`${indent}reference: ${vdm.reference}`);
  return lines.join('\n');
}

/**
 * SWA is a run-config block, not a registry entry; it is listed with the schedules because it
 * takes over the learning rate of whichever schedule the run names.
 */
function swaBlock(): string {
  const shape = swaSchema.shape as Record<string, z.ZodType>;
  return [
    'swa (run-config block swa: { ... }, over any schedule): stochastic weight averaging of the weights at each epoch end from start_epoch,',
    '  BatchNorm statistics recomputed at the end, evaluated as its own result (summary.json swa_test_acc)',
    `    defaults: ${swaDefaults.map((d) => `${d.key}=${d.value}`).join('; ')}`,
    ...Object.entries(shape).map(([key, schema]) => `      ${key}: ${schema.description}`),
    `    reference: ${SWA_CITATION}`,
  ].join('\n');
}

export function listCommand(kind?: string): string {
  if (kind !== undefined && !(kind in KINDS)) {
    throw new UsageError(`unknown kind '${kind}'; expected one of ${Object.keys(KINDS).join(', ')}`);
  }
  const kinds = kind === undefined ? (Object.keys(KINDS) as ListKind[]) : [kind as ListKind];
  return kinds
    .map((k) => {
      const entries = registriesByBlock[KINDS[k]].entries();
      const width = Math.max(...entries.map((e) => e.name.length));
      const lines = [`${k}:`, ...entries.map((e) => describeEntry(e, width))];
      if (k === 'schedules') lines.push('', swaBlock());
      return lines.join('\n');
    })
    .join('\n\n');
}
