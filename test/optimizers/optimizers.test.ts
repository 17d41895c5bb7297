// Optimizers against the update rules of torch.optim, computed by hand in plain numbers, and
// their state round trip (exact resume).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { optimizers } from '../../src/optimizers/index.js';

before(async () => {
  await selectBackend('cpu');
});

const GRADS = [[0.5, -1], [0.25, 2], [-0.75, 0.1]];
const START = [1, -2];

function runOptimizer(name: string, params: Record<string, unknown>, lr: number, wd: number, steps = GRADS.length): number[] {
  const entry = optimizers.get(name);
  const optimizer = entry.create(entry.params.parse(params), { lr, weight_decay: wd });
  const p = tf.variable(tf.tensor1d(START));
  for (const g of GRADS.slice(0, steps)) tf.tidy(() => optimizer.step([p], [tf.tensor1d(g)], lr));
  const result = Array.from(p.dataSync());
  p.dispose();
  optimizer.dispose();
  return result;
}

function assertClose(actual: number[], expected: number[], tolerance = 1e-6): void {
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tolerance, `[${i}] ${a} vs ${expected[i]}`));
}

function referenceSgd(lr: number, mu: number, wd: number, nesterov: boolean): number[] {
  return START.map((p0, i) => {
    let p = p0;
    let buf = 0;
    GRADS.forEach((g, step) => {
      const d = g[i] + wd * p;
      buf = step === 0 ? d : mu * buf + d;
      p -= lr * (nesterov ? d + mu * buf : buf);
    });
    return p;
  });
}

function referenceAdam(lr: number, wd: number, decoupled: boolean, b1 = 0.9, b2 = 0.999, eps = 1e-8): number[] {
  return START.map((p0, i) => {
    let p = p0, m = 0, v = 0;
    GRADS.forEach((gs, k) => {
      const t = k + 1;
      const g = gs[i] + (decoupled ? 0 : wd * p);
      if (decoupled) p *= 1 - lr * wd;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      p -= (lr * (m / (1 - b1 ** t))) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
    });
    return p;
  });
}

test('sgd with momentum and weight decay matches torch.optim.SGD', () => {
  assertClose(runOptimizer('sgd', { momentum: 0.9 }, 0.1, 0.01), referenceSgd(0.1, 0.9, 0.01, false));
});

test('sgd with Nesterov momentum matches torch.optim.SGD(nesterov=True)', () => {
  assertClose(runOptimizer('sgd', { momentum: 0.9, nesterov: true }, 0.1, 0.01), referenceSgd(0.1, 0.9, 0.01, true));
});

test('plain sgd (momentum 0) is p -= lr * (g + wd p)', () => {
  assertClose(runOptimizer('sgd', { momentum: 0 }, 0.1, 0), referenceSgd(0.1, 0, 0, false));
});

test('adam (L2 in the gradient) and adamw (decoupled) match torch.optim', () => {
  assertClose(runOptimizer('adam', {}, 0.01, 0.1), referenceAdam(0.01, 0.1, false), 1e-5);
  assertClose(runOptimizer('adamw', {}, 0.01, 0.1), referenceAdam(0.01, 0.1, true), 1e-5);
});

for (const entry of optimizers.entries()) {
  test(`optimizer ${entry.name}: saved state resumes to the same trajectory`, () => {
    const full = runOptimizer(entry.name, {}, 0.05, 0.01);
    const first = entry.create(entry.params.parse({}), { lr: 0.05, weight_decay: 0.01 });
    const p = tf.variable(tf.tensor1d(START));
    tf.tidy(() => first.step([p], [tf.tensor1d(GRADS[0])], 0.05));
    const state = first.getState();
    const second = entry.create(entry.params.parse({}), { lr: 0.05, weight_decay: 0.01 });
    second.setState(state, [p]);
    for (const g of GRADS.slice(1)) tf.tidy(() => second.step([p], [tf.tensor1d(g)], 0.05));
    assertClose(Array.from(p.dataSync()), full);
    [first, second].forEach((o) => o.dispose());
    p.dispose();
  });
}

test('every optimizer declares the gradient evaluations a step costs: 2 for a two-pass one (sam), 1 for the rest', () => {
  const declared = Object.fromEntries(optimizers.entries().map((entry) => [entry.name, entry.gradientEvaluationsPerStep]));
  assert.deepEqual(declared, { sgd: 1, adam: 1, adamw: 1, sam: 2 });
  for (const entry of optimizers.entries()) {
    const optimizer = entry.create(entry.params.parse({}), { lr: 0.1, weight_decay: 0 });
    assert.equal(entry.gradientEvaluationsPerStep, optimizer.perturbation ? 2 : 1, `${entry.name}: what it declares is what the trainer runs`);
    optimizer.dispose();
  }
});
