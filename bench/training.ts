// Training throughput through the trainer's own step, per backend: ResNet-20 (CIFAR-100 shape,
// batch 128; wasm) and LeNet-5 (MNIST shape, batch 64; wasm and cpu), as the median of timed
// windows after warm-up, with VDM overhead (each VDM over none), peak RSS, numTensors per window and host
// reads per step. `--torch` also runs bench/torch/resnet20.py in the same invocation and prints
// the ratio; `--rounds=N` repeats everything N times and reports the median ratio (the machine may
// be shared). `--wasm-threads=N` sets the wasm threads (default: one per core); `--quick` shortens it.
// Each measurement runs in its own process (peak RSS and the wasm build are per process).
// `--profile`, `--threads 1,2` and `--model M` run one focused measurement instead (training/modes.ts).
// Results go to bench/results/<timestamp>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { countFlag, flag } from './args.js';
import type { MeasureRequest, MeasureResult } from './training/measure.js';
import { runModes, wantsMode } from './training/modes.js';
import { inChild } from './training/runChild.js';
import { notStandalone } from './training/setup.js';
import { findTorchPython, runTorchReference, type TorchResult } from './training/torchReference.js';
import { vdms } from '../src/vdms/index.js';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

export function describe(r: MeasureResult): string {
  const drift = r.numTensors.at(-1)! - r.numTensors[0]!;
  const vdm = Object.entries(r.vdmOverhead).map(([name, ratio]) => `${name}/none ${ratio.toFixed(3)}`).join(', ');
  return [
    `${r.model.padEnd(8)} ${r.backend}${r.threads !== undefined ? ` x${r.threads}` : ''}`.padEnd(18),
    `${r.imagesPerSecond.toFixed(1).padStart(7)} img/s (windows ${r.windowImagesPerSecond.map((v) => v.toFixed(0)).join(' ')})`,
    `peak RSS ${r.peakRssMB.toFixed(0)} MB`,
    `numTensors drift ${drift} (${r.numTensors[0]})`,
    `host reads/step ${r.hostReadsPerStep}`,
    `input wait ${(100 * r.inputWaitShare).toFixed(1)}%`,
    vdm ? `VDM ${vdm}` : '',
  ].filter(Boolean).join(' | ');
}

interface Round {
  results: MeasureResult[];
  torch: TorchResult[];
}

/** One round: every tfjs measurement, then (with a python) the torch reference right after it. */
function runRound(requests: MeasureRequest[], python: string | undefined, threads: number, windows: number): Round {
  const round: Round = { results: [], torch: [] };
  for (const request of requests) {
    const result = inChild(request);
    round.results.push(result);
    console.log(describe(result));
  }
  if (python === undefined) return round;
  for (const model of ['resnet20', 'lenet5'] as const) {
    const reference = runTorchReference(python, model, threads, windows, model === 'resnet20' ? 5 : 40);
    round.torch.push(reference);
    const ratios = round.results
      .filter((r) => r.model === model)
      .map((r) => `${r.backend}: ${(r.imagesPerSecond / reference.imagesPerSecond).toFixed(3)}x`)
      .join(', ');
    console.log(`${model.padEnd(8)} ${reference.framework} x${reference.threads}: ${reference.imagesPerSecond.toFixed(1)} img/s | ratio ${ratios}`);
  }
  return round;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median over rounds of (tfjs / torch) per model and backend: rounds shield the ratio from load that comes and goes. */
function medianRatios(rounds: Round[]): Record<string, number> {
  const ratios: Record<string, number[]> = {};
  for (const { results, torch } of rounds) {
    for (const r of results) {
      const reference = torch.find((t) => t.model === r.model);
      if (reference) (ratios[`${r.model} ${r.backend}`] ??= []).push(r.imagesPerSecond / reference.imagesPerSecond);
    }
  }
  return Object.fromEntries(Object.entries(ratios).map(([key, values]) => [key, median(values)]));
}

export async function bench(): Promise<void> {
  if (wantsMode()) return writeResults('training', await runModes());
  const quick = flag('quick') !== undefined;
  const threads = countFlag('wasm-threads', availableParallelism());
  const rounds = countFlag('rounds', 1);
  const windows = quick ? 3 : 5;
  const standalone = vdms.names().filter((name) => {
    if (name === 'none') return false;
    const reason = notStandalone(name);
    // The reason names the temporary config file first; the rest says what is missing.
    if (reason !== null) console.log(`(VDM ${name} left out: ${reason.replace(/^[^:]*: /, '')})`);
    return reason === null;
  });
  const requests: MeasureRequest[] = [
    { model: 'resnet20', backend: 'wasm', threads, warmupSteps: 2, windows, stepsPerWindow: quick ? 2 : 3, vdms: ['log'] },
    // Every VDM that trains on its own (with its documented settings) on the cheap model; `log` also on ResNet-20.
    { model: 'lenet5', backend: 'wasm', threads, warmupSteps: 3, windows, stepsPerWindow: 20, vdms: standalone },
    { model: 'lenet5', backend: 'cpu', warmupSteps: 2, windows, stepsPerWindow: quick ? 3 : 5, vdms: [] },
  ];
  let python: string | undefined;
  let torchNote: string | undefined;
  if (flag('torch') !== undefined) {
    const found = findTorchPython();
    if ('unavailable' in found) {
      torchNote = found.unavailable;
      console.log(`torch: ${torchNote}`);
    } else {
      python = found.python;
    }
  }
  const done: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    if (rounds > 1) console.log(`-- round ${r + 1}/${rounds}`);
    done.push(runRound(requests, python, threads, windows));
  }
  const ratios = medianRatios(done);
  if (Object.keys(ratios).length > 0) {
    console.log(`median ratio to torch over ${rounds} round(s): ${Object.entries(ratios).map(([k, v]) => `${k} ${v.toFixed(3)}x`).join(', ')}`);
  }

  writeResults('training', { rounds: done, ratios, torchNote });
}

/** bench/results/<part>-<time>.json, with the machine and the command line. */
function writeResults(part: string, figures: object): void {
  mkdirSync(RESULTS, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = `${RESULTS}${part}-${stamp}.json`;
  const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model, node: process.version };
  writeFileSync(file, `${JSON.stringify({ machine, command: process.argv.slice(1).join(' '), ...figures }, null, 2)}\n`);
  console.log(`results: ${file}`);
}
