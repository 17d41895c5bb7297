// `npm run bench [-- part...]`: runs the benchmark parts in order and prints their figures.
// Parts: data, backend, training, cli (default: all of these), landscape, flatness, gpu (only when named: it needs a GPU). Figures, not pass/fail: see each part's header.
import { BenchFlagError, parseBenchArgs, type BenchArgs } from './args.js';
import { bench as backendBench } from './backend.js';
import { bench as cliBench } from './cli.js';
import { bench as dataBench } from './data.js';
import { bench as gpuBench } from './gpu.js';
import { bench as trainingBench } from './training.js';

const PARTS: Record<string, () => Promise<void>> = {
  data: dataBench,
  backend: backendBench,
  training: trainingBench,
  cli: cliBench,
  landscape: async () => (await import('./landscape.js')).bench(),
  flatness: async () => (await import('./flatness.js')).bench(),
  gpu: gpuBench,
};
/** Parts run when none is named. */
const DEFAULT_PARTS = ['data', 'backend', 'training', 'cli'];

let args: BenchArgs;
try {
  args = parseBenchArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof BenchFlagError)) throw error;
  console.error(error.message);
  process.exit(2);
}
const requested = args.parts;
const unknown = requested.filter((name) => !(name in PARTS));
if (unknown.length > 0) {
  console.error(`bench: unknown part(s) ${unknown.join(', ')}; valid: ${Object.keys(PARTS).join(', ')}`);
  process.exit(2);
}
for (const name of requested.length > 0 ? requested : DEFAULT_PARTS) {
  console.log(`\n== ${name} ==`);
  try {
    await PARTS[name]();
  } catch (error) {
    if (!(error instanceof BenchFlagError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}
