// One SAM step and one ASAM step of vdm equal an independent PyTorch implementation
// (test/optimizers/sam_torch.py, run by Debian's python3-torch as the export tests are) to 1e-5:
// the same ResNet-20 weights and BatchNorm state (randomised), the same batch, bn: first and both,
// sgd (momentum, weight decay) and adam bases, with and without a VDM on both passes.
// A ReLU input within rounding of 0 may take either branch in two correct implementations, and
// which batch puts one there depends on the CPU's float kernels: each case draws batches until
// PyTorch's nearest kink is at least MIN_RELU_MARGIN away, so the comparison tests the arithmetic.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../../src/backend/resolve.js';
import { writeSafetensors } from '../../src/export/safetensors.js';
import { torchStateDict } from '../../src/export/torchStateDict.js';
import { models } from '../../src/models/index.js';
import { isWeightParam } from '../../src/models/nn.js';
import { disposeModel } from '../../src/models/types.js';
import { optimizers } from '../../src/optimizers/index.js';
import { RandomStream } from '../../src/random.js';
import { trainStep } from '../../src/train/step.js';
import { LossDeformation } from '../../src/vdms/deformation.js';
import { vdms } from '../../src/vdms/index.js';
import { vdmOptionsSchema } from '../../src/vdms/options.js';
import { assertTorchAvailable, PYTHON, randomise } from '../export/torchCheck.js';
import { tempDir } from '../helpers/files.js';

const here = dirname(fileURLToPath(import.meta.url));
const INPUT: [number, number, number] = [6, 6, 3];
const CLASSES = 5;
const BATCH = 8;
const TOLERANCE = 1e-5;
// Float32 rounding moves a ReLU input here by ~1e-7 (a few 1e-7 after the ascent): 1e-5 is far past it.
const MIN_RELU_MARGIN = 1e-5;
const BATCH_DRAWS = 8;

before(async () => {
  await selectBackend('cpu');
});

interface SamCase {
  readonly name: string;
  /** The sam block without name and lr. */
  readonly optimizer: Record<string, unknown>;
  readonly lr: number;
  readonly weightDecay: number;
  readonly vdm: 'none' | 'log';
}

const CASES: SamCase[] = [
  { name: 'sam-sgd-bn-first', optimizer: { base: 'sgd', momentum: 0.9 }, lr: 0.1, weightDecay: 5e-4, vdm: 'none' },
  { name: 'sam-sgd-bn-both', optimizer: { base: 'sgd', momentum: 0.9, bn: 'both' }, lr: 0.1, weightDecay: 5e-4, vdm: 'none' },
  { name: 'asam-sgd-log', optimizer: { base: 'sgd', momentum: 0.9, nesterov: true, adaptive: true }, lr: 0.1, weightDecay: 5e-4, vdm: 'log' },
  // epsilon 1e-3: Adam's first step is lr*g/(|g| + epsilon), which turns float rounding in a
  // near-zero gradient into a difference of order lr at epsilon 1e-8.
  { name: 'asam-adam-bn-both', optimizer: { base: 'adam', adaptive: true, bn: 'both', epsilon: 1e-3 }, lr: 0.01, weightDecay: 1e-3, vdm: 'none' },
  { name: 'sam-adamw-log', optimizer: { base: 'adamw', rho: 0.1, epsilon: 1e-3 }, lr: 0.01, weightDecay: 1e-2, vdm: 'log' },
];

interface TorchFigures {
  case: string;
  param_max_abs_diff: number;
  running_stats_max_abs_diff: number;
  other_bn_running_stats_diff: number;
  relu_margin: number;
  running_stats_moved: number;
  params_moved: number;
}

/** vdm's step from fixed weights: the files PyTorch starts from and must arrive at. */
async function vdmStep(c: SamCase, dir: string, index: number, batchSeed: number): Promise<Record<string, unknown>> {
  const model = models.get('resnet20').create(models.get('resnet20').params.parse({}), { inputShape: INPUT, numClasses: CLASSES, rng: RandomStream.derive(5, 'init') });
  randomise(model, 5);
  const rng = RandomStream.derive(batchSeed, 'sam-batch');
  const batch = {
    x: Float32Array.from({ length: BATCH * INPUT.reduce((a, b) => a * b) }, () => rng.normal()),
    y: Int32Array.from({ length: BATCH }, (_, i) => i % CLASSES),
    size: BATCH,
  };
  const files = { before: join(dir, `before-${index}.safetensors`), after: join(dir, `after-${index}.safetensors`), batch: join(dir, `batch-${index}.safetensors`) };
  const stateDict = () => torchStateDict('resnet20', model, { inputShape: INPUT, batchesTracked: 0 });
  writeSafetensors(files.before, stateDict());
  writeSafetensors(files.batch, [
    { name: 'x', shape: [BATCH, ...INPUT], data: batch.x },
    { name: 'y', shape: [BATCH], data: Float32Array.from(batch.y) },
  ]);
  const entry = optimizers.get('sam');
  const params = entry.params.parse(c.optimizer) as Record<string, unknown>;
  const optimizer = entry.create(params, { lr: c.lr, weight_decay: c.weightDecay, weightParams: model.params.map(isWeightParam) });
  const vdm = vdms.get(c.vdm);
  const vdmParams = vdm.params.parse({}) as Record<string, unknown>;
  const deformation = new LossDeformation({ entry: vdm, params: vdmParams, options: vdmOptionsSchema.parse({}) });
  await trainStep({ model, optimizer, deformation, inputShape: INPUT, numClasses: CLASSES, seed: 1 }, batch, c.lr, 1, 0);
  writeSafetensors(files.after, stateDict());
  optimizer.dispose();
  disposeModel(model);
  return {
    name: c.name,
    ...files,
    spec: { model: 'resnet20', num_classes: CLASSES, input_shape: INPUT },
    optimizer: { ...params, lr: c.lr, weight_decay: c.weightDecay },
    vdm: { name: c.vdm, ...vdmParams },
  };
}

/** PyTorch's figures for each case, from the first batch whose ReLU inputs all clear the margin. */
async function torchFigures(dir: string): Promise<{ figures: TorchFigures; batchSeed: number }[]> {
  const found: { figures: TorchFigures; batchSeed: number }[] = [];
  let pending = CASES.map((c, index) => ({ c, index }));
  for (let draw = 0; draw < BATCH_DRAWS && pending.length > 0; draw++) {
    const batchSeed = 10 + draw;
    const cases = [];
    for (const { c, index } of pending) cases.push(await vdmStep(c, dir, index, batchSeed));
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
    const run = spawnSync(PYTHON, [join(here, 'sam_torch.py'), join(dir, 'cases.json')], { encoding: 'utf8' });
    assert.equal(run.status, 0, `PyTorch SAM failed:\n${run.stdout}\n${run.stderr}`);
    const results = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as TorchFigures);
    assert.deepEqual(results.map((r) => r.case), pending.map(({ c }) => c.name));
    const next: typeof pending = [];
    results.forEach((figures, i) => {
      if (figures.relu_margin >= MIN_RELU_MARGIN) found[pending[i].index] = { figures, batchSeed };
      else next.push(pending[i]);
    });
    pending = next;
  }
  assert.equal(pending.length, 0, `no batch in ${BATCH_DRAWS} draws keeps every ReLU input ${MIN_RELU_MARGIN} from 0 for ${pending.map(({ c }) => c.name).join(', ')}`);
  return found;
}

test('one SAM and one ASAM step equal an independent PyTorch implementation to 1e-5 (ResNet-20 with BatchNorm; bn first and both; sgd, adam, adamw bases; a VDM on both passes)', async (t) => {
  assertTorchAvailable();
  const dir = tempDir('vdm-sam-torch-');
  const results = await torchFigures(dir);
  for (const { figures: r, batchSeed } of results) t.diagnostic(`${r.case} (batch seed ${batchSeed}): params differ by ${r.param_max_abs_diff.toExponential(2)} (moved ${r.params_moved.toExponential(2)}), running statistics by ${r.running_stats_max_abs_diff.toExponential(2)}, ReLU margin ${r.relu_margin.toExponential(1)} (moved ${r.running_stats_moved.toExponential(2)}; the other bn setting: ${r.other_bn_running_stats_diff.toExponential(2)})`);
  for (const { figures: r } of results) {
    assert.ok(r.param_max_abs_diff <= TOLERANCE, `${r.case}: parameters differ from PyTorch's by ${r.param_max_abs_diff} (nearest ReLU kink ${r.relu_margin})`);
    assert.ok(r.running_stats_max_abs_diff <= TOLERANCE, `${r.case}: running statistics differ from PyTorch's by ${r.running_stats_max_abs_diff}`);
    assert.ok(r.other_bn_running_stats_diff > 100 * TOLERANCE, `${r.case}: bn first and both give the same running statistics (${r.other_bn_running_stats_diff})`);
    // A step that moved nothing would agree trivially.
    assert.ok(r.params_moved > 100 * TOLERANCE && r.running_stats_moved > 100 * TOLERANCE, `${r.case}: the step barely moved (${r.params_moved}, ${r.running_stats_moved})`);
  }
});
