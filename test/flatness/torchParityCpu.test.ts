// The same parity on the cpu backend, for the models whose conv filter gradients cpu computes in
// seconds rather than minutes (its Conv2DBackpropFilter kernel is slow): mlp and lenet5. The
// ResNets' remaining ops (BatchNorm, shortcuts, global pooling) are compared between cpu and wasm
// in test/backend/secondOrderGradients.test.ts.
import { before, test } from 'node:test';
import { selectBackend } from '../../src/backend/resolve.js';
import { assertParity } from './parityAssertions.js';
import type { ParityCase } from './torchHessian.js';

before(async () => {
  await selectBackend('cpu');
});

const CASES: ParityCase[] = [
  { model: 'mlp', params: { hidden: [8, 6] }, inputShape: [4, 5, 2], classes: 3 },
  { model: 'lenet5', inputShape: [12, 12, 1], classes: 3 },
];

test('cpu: exact HVP, power iteration and Hutchinson equal PyTorch double backward (mlp, lenet5)', async (t) => {
  await assertParity(CASES, (line) => t.diagnostic(line));
});
