// Hessian parity with PyTorch: vdm's exact (and finite-difference) Hessian-vector products, power
// iteration and Hutchinson samples on exported models, against double backward in float64
// (check_torch_hessian.py). Weights go out as the export tests send them; vectors in weight space
// go out under the same names and layouts, through the same state-dict code.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { writeSafetensors, type NamedTensor } from '../../src/export/safetensors.js';
import { torchStateDict } from '../../src/export/torchStateDict.js';
import { HVP_METHODS, hessianVectorProduct, type HessianVectorProduct, type HvpMethod } from '../../src/flatness/hvp.js';
import { modelLoss } from '../../src/flatness/modelLoss.js';
import { hutchinsonTrace, powerIteration } from '../../src/flatness/spectrum.js';
import { disposeVector, normalVector, rademacherVector, type ParamVector } from '../../src/flatness/vectors.js';
import { models } from '../../src/models/index.js';
import { disposeModel, type Model } from '../../src/models/types.js';
import { RandomStream } from '../../src/random.js';
import { PYTHON, randomise } from '../export/torchCheck.js';
import { tempDir } from '../helpers/files.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Why the parity tests cannot run here (no PyTorch), or null. */
export function torchMissing(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `${PYTHON} cannot import torch (apt-get install python3-torch, or set VDM_TORCH_PYTHON)`;
}

export interface ParityCase {
  readonly model: string;
  readonly params?: Record<string, unknown>;
  readonly inputShape: [number, number, number];
  readonly classes: number;
}

/** Tiny on purpose: 4 examples in two batches (so products are summed over batches), few iterations. */
export const SAMPLES = 4;
const BATCH = 2;
export const ITERATIONS = 6;
export const PROBES = 2;

const NOT_PARAMS = /\.(running_mean|running_var|num_batches_tracked)$/;

/** `v` under the state dict's parameter names and layouts, each prefixed (`v/conv1.weight`). */
function torchVector(c: ParityCase, model: Model, v: ParamVector, prefix: string): NamedTensor[] {
  const saved = model.params.map((p) => p.clone());
  try {
    model.params.forEach((p, i) => p.assign(v[i]!));
    return torchStateDict(c.model, model, { inputShape: c.inputShape, batchesTracked: 0 })
      .filter((t) => !NOT_PARAMS.test(t.name))
      .map((t) => ({ ...t, name: `${prefix}/${t.name}` }));
  } finally {
    model.params.forEach((p, i) => p.assign(saved[i]!));
    tf.dispose(saved);
  }
}

/** vdm's power-iteration estimate and Hutchinson samples for one case. */
export interface VdmFigures {
  readonly eigenvalue: number;
  readonly quadraticForms: number[];
}

export interface ParityResult {
  readonly model: string;
  /** ||vdm's Hv - PyTorch's|| / ||PyTorch's||, per vdm method. */
  readonly hvError: Record<HvpMethod, number>;
  /** Power iteration and Hutchinson samples with exact products. */
  readonly vdm: VdmFigures;
  readonly torch: { eigenvalue: number; quadraticForms: number[] };
}

interface Prepared {
  readonly files: { weights: string; inputs: string; vectors: string };
  readonly vdm: VdmFigures;
}

async function figuresOf(hvp: HessianVectorProduct, start: ParamVector, probes: readonly tf.Tensor[][]): Promise<VdmFigures> {
  const top = await powerIteration(hvp, start, { maxIterations: ITERATIONS, tolerance: 0 });
  let next = 0;
  const trace = await hutchinsonTrace(hvp, () => probes[next++]!.map((t) => t.clone()), probes.length);
  return { eigenvalue: top.eigenvalue, quadraticForms: trace.samples };
}

/** Builds the case's model (seeded, BatchNorm statistics randomised), measures it, writes its files. */
async function prepare(c: ParityCase, index: number, dir: string): Promise<Prepared> {
  const entry = models.get(c.model);
  const model = entry.create(entry.params.parse(c.params ?? {}), { inputShape: c.inputShape, numClasses: c.classes, rng: RandomStream.derive(index + 1, 'init') });
  randomise(model, index + 1);
  const rng = RandomStream.derive(index + 1, 'hessian-parity');
  const size = c.inputShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: SAMPLES * size }, () => rng.normal());
  const labels = Int32Array.from({ length: SAMPLES }, (_, n) => (n * 7 + index) % c.classes);
  const batches = [0, BATCH].map((from) => ({ x: x.slice(from * size, (from + BATCH) * size), y: labels.slice(from, from + BATCH), size: BATCH }));
  const loss = modelLoss(model, batches, { inputShape: c.inputShape, numClasses: c.classes });
  const shapes = model.params.map((p) => p.shape);
  const v = normalVector(shapes, rng);
  const start = normalVector(shapes, rng);
  const probes = Array.from({ length: PROBES }, () => rademacherVector(shapes, rng));
  const vectors: NamedTensor[] = [...torchVector(c, model, v, 'v'), ...torchVector(c, model, start, 'start'), ...probes.flatMap((z, k) => torchVector(c, model, z, `probe${k}`))];
  let vdm: VdmFigures | null = null;
  try {
    for (const method of HVP_METHODS) {
      const operator = await hessianVectorProduct(loss, method);
      const hv = await operator.hvp(v);
      vectors.push(...torchVector(c, model, hv, `hv-${method}`));
      disposeVector(hv);
      if (method === 'exact') vdm = await figuresOf(operator.hvp, start, probes);
      operator.dispose();
    }
    const files = { weights: join(dir, `${index}-weights.safetensors`), inputs: join(dir, `${index}-inputs.safetensors`), vectors: join(dir, `${index}-vectors.safetensors`) };
    writeSafetensors(files.weights, torchStateDict(c.model, model, { inputShape: c.inputShape, batchesTracked: 1 }));
    writeSafetensors(files.inputs, [
      { name: 'x', shape: [SAMPLES, ...c.inputShape], data: x },
      { name: 'labels', shape: [SAMPLES], data: Float32Array.from(labels) },
    ]);
    writeSafetensors(files.vectors, vectors);
    return { files, vdm: vdm! };
  } finally {
    loss.dispose();
    tf.dispose([...v, ...start, ...probes.flat()]);
    disposeModel(model);
  }
}

/** Measures every case with vdm on the active backend, then all of them in one python process. */
export async function hessianParity(cases: readonly ParityCase[]): Promise<ParityResult[]> {
  const dir = tempDir('vdm-hessian-');
  const prepared: Prepared[] = [];
  for (const [i, c] of cases.entries()) prepared.push(await prepare(c, i, dir));
  const list = cases.map((c, i) => ({
    ...prepared[i]!.files,
    spec: { model: c.model, num_classes: c.classes, input_shape: c.inputShape, hidden: c.params?.hidden, params: c.params },
    iterations: ITERATIONS,
    probes: PROBES,
    products: ['hv-exact', 'hv-finite-difference'],
  }));
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(list));
  const run = spawnSync(PYTHON, [join(here, 'check_torch_hessian.py'), join(dir, 'cases.json')], { encoding: 'utf8', cwd: here });
  if (run.status !== 0) throw new Error(`PyTorch Hessian check failed:\n${run.stdout}\n${run.stderr}`);
  return run.stdout
    .trim()
    .split('\n')
    .map((line, i) => {
      const r = JSON.parse(line) as { model: string; errors: Record<string, number>; eigenvalue: number; quadratic_forms: number[] };
      return {
        model: r.model,
        hvError: { exact: r.errors['hv-exact']!, 'finite-difference': r.errors['hv-finite-difference']! },
        vdm: prepared[i]!.vdm,
        torch: { eigenvalue: r.eigenvalue, quadraticForms: r.quadratic_forms },
      };
    });
}

/** Relative difference, against the larger magnitude. */
export const relativeDifference = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));

/** The Hutchinson estimate from the quadratic forms (their mean). */
export const traceOf = (forms: readonly number[]): number => forms.reduce((s, q) => s + q, 0) / forms.length;
