// Module-resolution hooks that record which @tensorflow modules a process loads (see tfjsProbe.mjs).
import { appendFileSync } from 'node:fs';

let out;

export function initialize(data) {
  out = data.out;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (out && result.url.includes('@tensorflow')) appendFileSync(out, `${result.url}\n`);
  return result;
}
