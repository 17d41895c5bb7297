// Child-process entry of the training benchmark: one measurement per process, so that peak RSS
// and the wasm thread count (fixed once per process) belong to that measurement alone.
// Usage: node --import tsx bench/training/child.ts '<MeasureRequest or ProfileRequest JSON>'; prints the result as JSON.
import { measureTraining, type MeasureRequest } from './measure.js';
import { profileTraining, type ProfileRequest } from './profile.js';

const request = JSON.parse(process.argv[2] ?? '{}') as MeasureRequest | ProfileRequest;
const result = 'profile' in request ? await profileTraining(request) : await measureTraining(request);
process.stdout.write(`${JSON.stringify(result)}\n`);
