// Exact Hessian figures equal PyTorch's (double backward, float64) on the trainer's backend, wasm:
// one Hessian-vector product to 1e-4 relative, power iteration's eigenvalue and the Hutchinson
// trace on fixed probes to 1e-3, for mlp, lenet5, resnet20, preresnet20, efficientnet_b0 and se_resnext29 (weights and BatchNorm
// statistics randomised, so no term can vanish by chance). The finite-difference fallback's error
// is printed, not tested. A missing PyTorch fails the test.
import { before, test } from 'node:test';
import { selectBackend } from '../../src/backend/resolve.js';
import { assertParity } from './parityAssertions.js';
import type { ParityCase } from './torchHessian.js';

before(async () => {
  await selectBackend('wasm');
});

const CASES: ParityCase[] = [
  { model: 'mlp', params: { hidden: [8, 6] }, inputShape: [4, 5, 2], classes: 3 },
  { model: 'lenet5', inputShape: [16, 20, 3], classes: 4 },
  { model: 'resnet20', inputShape: [5, 6, 3], classes: 5 },
  { model: 'preresnet20', inputShape: [4, 4, 3], classes: 5 },
  // Depthwise convs (both gradient kernels differentiated), swish and SE gates (Sigmoid's nested gradient).
  { model: 'efficientnet_b0', params: { width: 0.25, depth: 0.34 }, inputShape: [8, 8, 3], classes: 3 },
  { model: 'se_resnext29', params: { depth: 11, cardinality: 2, base_width: 2, stem_width: 8, se_reduction: 4 }, inputShape: [4, 4, 3], classes: 3 },
];

test('wasm: exact HVP, power iteration and Hutchinson equal PyTorch double backward (mlp, lenet5, resnet20, preresnet20, efficientnet_b0, se_resnext29)', async (t) => {
  await assertParity(CASES, (line) => t.diagnostic(line));
});
