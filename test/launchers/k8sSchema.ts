// A manifest checked against the full batch/v1 Job schema (kubernetes-models: the API's own
// OpenAPI definitions, types, enums, required fields and quantity formats), plus the trimmed
// fixture for field names: kubernetes-models accepts unknown fields, the API server drops them.
import { readFileSync } from 'node:fs';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { validate } from './jsonSchema.js';

const strictFields = JSON.parse(readFileSync(new URL('../fixtures/k8s/job-batch-v1.schema.json', import.meta.url), 'utf8'));

/** Every problem with `manifest` as a Job, as `path: message`; empty when the API would take it. */
export function jobProblems(manifest: unknown): string[] {
  const problems: string[] = [];
  try {
    new Job(manifest as ConstructorParameters<typeof Job>[0]).validate();
  } catch (error) {
    const errors = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
    if (!errors) throw error;
    problems.push(...errors.map((e) => `${e.instancePath || '/'}: ${e.message}`));
  }
  problems.push(...validate(strictFields, manifest).filter((p) => /unknown field/.test(p)));
  return problems;
}
