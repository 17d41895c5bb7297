// LossDeformation on a tiny dense model: the gradient it produces is exactly phi' times the
// plain one, in each mode, with normalisation, the cap and the epoch window as specified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { LossDeformation } from '../../src/vdms/deformation.js';
import { vdms } from '../../src/vdms/index.js';
import { vdmOptionsSchema } from '../../src/vdms/options.js';
import type { VdmOptions } from '../../src/vdms/types.js';
import { sampleParams } from './sampleParams.js';

/** A 3 -> 4 softmax classifier with fixed weights and a fixed batch of 6. */
function tinyModel() {
  const w = tf.variable(tf.tensor2d([0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.7, -0.1, 0.05, 0.6, -0.3, 0.25], [3, 4]));
  const b = tf.variable(tf.tensor1d([0.1, 0, -0.1, 0.05]));
  const x = tf.tensor2d([1, 0.5, -1, 0.2, -0.3, 0.8, -1, 1, 0.4, 0.9, 0.1, -0.6, 0, -1.2, 0.3, 2, 0.7, -0.2], [6, 3]);
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 1, 0], 'int32'), 4);
  const perSample = (rows?: number[]) =>
    tf.tidy(() => {
      const inputs = rows ? tf.gather(x, rows) : x;
      const targets = rows ? tf.gather(labels, rows) : labels;
      const logits = tf.add(tf.matMul(inputs, w), b);
      return tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
    });
  return { w, b, perSample, dispose: () => tf.dispose([w, b, x, labels]) };
}

function deformation(name: string, options: Partial<VdmOptions> = {}, params?: unknown): LossDeformation {
  const entry = vdms.get(name);
  return new LossDeformation({ entry, params: params ?? sampleParams(entry), options: vdmOptionsSchema.parse(options) });
}

/** Gradients (flattened, w then b) of what `objective` returns. */
function gradients(model: ReturnType<typeof tinyModel>, objective: () => tf.Scalar): Float32Array {
  const { grads, value } = tf.variableGrads(objective, [model.w, model.b]);
  const flat = Float32Array.from([...grads[model.w.name].dataSync(), ...grads[model.b.name].dataSync()]);
  tf.dispose([value, ...Object.values(grads)]);
  return flat;
}

const scalar = (t: tf.Tensor) => t.dataSync()[0];

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number, what: string) {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= tolerance * Math.max(1, Math.abs(want[i])), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

test('none gives gradients bit-identical to plain training', () => {
  const model = tinyModel();
  const plain = gradients(model, () => tf.mean(model.perSample()) as tf.Scalar);
  for (const apply of ['batch', 'sample'] as const) {
    const d = deformation('none', { apply, normalize: 'initial', max_scale: 0.5 });
    assert.deepEqual(gradients(model, () => d.apply(model.perSample(), 1).objective), plain, apply);
  }
  model.dispose();
});

test('outside its epoch window every deformation trains plainly, bit for bit', () => {
  const model = tinyModel();
  const plain = gradients(model, () => tf.mean(model.perSample()) as tf.Scalar);
  for (const entry of vdms.entries()) {
    const d = deformation(entry.name, { start_epoch: 3, end_epoch: 4 });
    for (const epoch of [1, 2, 5]) {
      assert.deepEqual(gradients(model, () => d.apply(model.perSample(), epoch).objective), plain, `${entry.name} epoch ${epoch}`);
      assert.equal(d.activeIn(epoch), false);
    }
    assert.equal(d.activeIn(3) && d.activeIn(4), entry.name !== 'none', entry.name);
  }
  model.dispose();
});

test('scale(a) trains exactly like plain SGD with lr*a (to 1e-6)', () => {
  const a = 3;
  const lr = 0.05;
  const train = (name: string, stepSize: number, params?: unknown) => {
    const model = tinyModel();
    const d = deformation(name, {}, params);
    for (let step = 0; step < 5; step++) {
      const { grads, value } = tf.variableGrads(() => d.apply(model.perSample(), 1).objective, [model.w, model.b]);
      model.w.assign(tf.sub(model.w, tf.mul(stepSize, grads[model.w.name])));
      model.b.assign(tf.sub(model.b, tf.mul(stepSize, grads[model.b.name])));
      tf.dispose([value, ...Object.values(grads)]);
    }
    const weights = Float32Array.from([...model.w.dataSync(), ...model.b.dataSync()]);
    model.dispose();
    return weights;
  };
  const scaled = train('scale', lr, { a });
  const faster = train('none', lr * a);
  assertClose(scaled, faster, 1e-6, 'weights');
  assert.ok(scaled.some((v, i) => v !== train('none', lr)[i]), 'scale must differ from plain lr');
});

test("batch mode scales the plain gradient by phi'(mean L); sample mode averages phi'(l_i) grad l_i", () => {
  const model = tinyModel();
  const params = { a: 1, b: 0.2 };
  const losses = Array.from(model.perSample().dataSync());
  const meanLoss = losses.reduce((s, l) => s + l, 0) / losses.length;
  const dphi = (l: number) => params.a / (params.b + l);

  const plain = gradients(model, () => tf.mean(model.perSample()) as tf.Scalar);
  const batch = deformation('log', { apply: 'batch' }, params);
  const batchGrad = gradients(model, () => batch.apply(model.perSample(), 1).objective);
  assertClose(batchGrad, plain.map((g) => dphi(meanLoss) * g), 1e-5, 'batch gradient');

  // Sample mode, from each sample's own gradient.
  const want = new Float32Array(plain.length);
  losses.forEach((l, i) => {
    const own = gradients(model, () => tf.mean(model.perSample([i])) as tf.Scalar);
    own.forEach((g, k) => (want[k] += (dphi(l) * g) / losses.length));
  });
  const sample = deformation('log', { apply: 'sample' }, params);
  const sampleGrad = gradients(model, () => sample.apply(model.perSample(), 1).objective);
  assertClose(sampleGrad, want, 1e-5, 'sample gradient');
  assert.ok(Math.max(...sampleGrad.map((g, k) => Math.abs(g - batchGrad[k]))) > 1e-3, 'the modes must differ for a nonlinear phi');

  // The reported values: phi of the mean vs mean of phi (Jensen: phi concave, so batch >= sample).
  tf.tidy(() => {
    const b = batch.apply(model.perSample(), 1);
    const s = sample.apply(model.perSample(), 1);
    assert.ok(Math.abs(scalar(b.deformed) - Math.log1p(meanLoss / params.b)) < 1e-5);
    const meanPhi = losses.reduce((acc, l) => acc + Math.log1p(l / params.b), 0) / losses.length;
    assert.ok(Math.abs(scalar(s.deformed) - meanPhi) < 1e-5);
    assert.ok(scalar(b.deformed) > scalar(s.deformed));
    assert.ok(Math.abs(scalar(b.scale) - dphi(meanLoss)) < 1e-6);
    const meanScale = losses.reduce((acc, l) => acc + dphi(l), 0) / losses.length;
    assert.ok(Math.abs(scalar(s.scale) - meanScale) < 1e-5);
    assert.ok(Math.abs(scalar(b.loss) - meanLoss) < 1e-6);
  });
  model.dispose();
});

test("normalize: initial deforms L/L0 with L0 fixed at the first batch, and the state restores it", () => {
  const model = tinyModel();
  const params = { a: 1, b: 0.2 };
  const d = deformation('log', { normalize: 'initial' }, params);
  const l0 = scalar(tf.mean(model.perSample()));
  d.apply(model.perSample(), 1); // fixes L0 from this batch
  assert.ok(Math.abs((d.getState().initialLoss ?? NaN) - l0) < 1e-6);

  // A later, different batch: the gradient is phi'(L/L0) grad L with the same L0.
  const rows = [0, 2, 4];
  const later = scalar(tf.mean(model.perSample(rows)));
  const plain = gradients(model, () => tf.mean(model.perSample(rows)) as tf.Scalar);
  const got = gradients(model, () => d.apply(model.perSample(rows), 2).objective);
  assertClose(got, plain.map((g) => (params.a / (params.b + later / l0)) * g), 1e-5, 'normalised gradient');
  tf.tidy(() => {
    const out = d.apply(model.perSample(rows), 2);
    assert.ok(Math.abs(scalar(out.deformed) - l0 * Math.log1p(later / l0 / params.b)) < 1e-5);
  });

  const restored = deformation('log', { normalize: 'initial' }, params);
  restored.setState(d.getState());
  assert.deepEqual(gradients(model, () => restored.apply(model.perSample(rows), 2).objective), got);
  model.dispose();
});

test("max_scale caps phi' and the reported scale", () => {
  const model = tinyModel();
  const plain = gradients(model, () => tf.mean(model.perSample()) as tf.Scalar);
  // logexp's phi' = 1/(1 - c0*exp(-L)) is about 1.3 at this batch's loss (about 1.5).
  const cap = 1.1;
  const d = deformation('logexp', { max_scale: cap }, { c0: 0.99 });
  const got = gradients(model, () => d.apply(model.perSample(), 1).objective);
  assertClose(got, plain.map((g) => cap * g), 1e-6, 'capped gradient');
  tf.tidy(() => assert.ok(Math.abs(scalar(d.apply(model.perSample(), 1).scale) - cap) < 1e-7));
  const uncapped = deformation('logexp', {}, { c0: 0.99 });
  tf.tidy(() => assert.ok(scalar(uncapped.apply(model.perSample(), 1).scale) > 1.2));
  model.dispose();
});

test('a step-slope deformation (recorded_scale) gives c_t times the plain gradient at step t, whatever the loss', () => {
  const model = tinyModel();
  const slopes = Float64Array.from([0.5, 1.25, 0.8]);
  const entry = vdms.get('recorded_scale');
  const d = new LossDeformation({ entry, params: sampleParams(entry), options: vdmOptionsSchema.parse({}) }, slopes);
  for (const rows of [[0, 1, 2], [3, 4, 5]]) {
    const plain = gradients(model, () => tf.mean(model.perSample(rows)) as tf.Scalar);
    slopes.forEach((c, step) => {
      const got = gradients(model, () => d.apply(model.perSample(rows), 1, step).objective);
      // c enters before the backward pass (c/n per sample, not c times the result): float32 rounding differs.
      assertClose(got, plain.map((g) => c * g), 1e-6, `step ${step}`);
      tf.tidy(() => assert.equal(scalar(d.apply(model.perSample(rows), 1, step).scale), Math.fround(c)));
    });
  }
  model.dispose();
});

test('apply leaks no tensors besides the ones it returns and L0', () => {
  const model = tinyModel();
  const d = deformation('sech', { normalize: 'initial', apply: 'sample', max_scale: 3 });
  tf.dispose(Object.values(d.apply(model.perSample(), 1))); // keeps L0
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    d.apply(model.perSample(), 1);
  });
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
