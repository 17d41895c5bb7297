// Every registered VDM, driven by the registry: its record is complete, its phi' agrees with
// autodiff and with finite differences, and its defaults pass the load-time check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { vdms } from '../../src/vdms/index.js';
import { vdmOptionsSchema } from '../../src/vdms/options.js';
import { checkDeformation } from '../../src/vdms/validate.js';
import { REQUIRED_PARAMS, sampleParams } from './sampleParams.js';

/** Losses from near zero to well past a CIFAR-100 start (ln 100 = 4.6). */
const GRID = Array.from({ length: 60 }, (_, i) => 0.05 + (i * 12) / 59);

function values(fn: (x: tf.Tensor) => tf.Tensor, at: number[]): Float32Array {
  return tf.tidy(() => fn(tf.tensor1d(at)).dataSync() as Float32Array);
}

/** Relative error with a floor of 1 on the scale: phi' near 0 (sech at L -> 0) is compared absolutely. */
function close(got: number, want: number, tolerance: number): boolean {
  return Math.abs(got - want) <= tolerance * Math.max(1, Math.abs(want));
}

test('the registry holds every deformation the issue lists, none first', () => {
  assert.deepEqual(vdms.names(), ['none', 'scale', 'log', 'power', 'exp', 'atan', 'logexp', 'sech', 'linear_band', 'expr', 'recorded_scale', 'flood']);
});

for (const entry of vdms.entries()) {
  const params = sampleParams(entry);

  test(`${entry.name}: a complete, self-describing record`, () => {
    for (const field of ['description', 'formula', 'derivativeFormula'] as const) {
      assert.ok(entry[field].trim().length > 0, `${field} is empty`);
    }
    assert.ok(!entry.description.includes('\n'), 'description must fit on one line of `vdm list`');
  });

  test(`${entry.name}: every parameter has a default (or is in REQUIRED_PARAMS) and a description`, () => {
    const shape = (entry.params as any).shape ?? (entry.params as any).def?.schema?.shape ?? {};
    for (const [key, schema] of Object.entries<any>(shape)) {
      assert.ok(schema.description, `${entry.name}.${key} has no description`);
    }
    const required = REQUIRED_PARAMS[entry.name];
    if (required === undefined) assert.doesNotThrow(() => entry.params.parse({}));
    else for (const key of Object.keys(required)) assert.equal(entry.params.safeParse({ ...required, [key]: undefined }).success, false, `${key} is required`);
    assert.equal(entry.params.safeParse({ no_such_key: 1, ...required }).success, false);
  });

  test(`${entry.name}: dphi matches autodiff of phi within 1e-3 relative`, () => {
    const dphi = values((x) => entry.dphi(x, params), GRID);
    const autodiff = values((x) => tf.grad((y: tf.Tensor) => tf.sum(entry.phi(y, params)))(x), GRID);
    GRID.forEach((loss, i) => {
      assert.ok(close(autodiff[i], dphi[i], 1e-3), `phi'(${loss}): dphi ${dphi[i]} vs autodiff ${autodiff[i]}`);
    });
  });

  test(`${entry.name}: dphi matches a central finite difference within 1e-3 relative`, () => {
    const h = 1e-2;
    const breaks = entry.breakpoints?.(params) ?? [];
    const grid = GRID.filter((loss) => breaks.every((b) => Math.abs(loss - b) > 2 * h));
    const dphi = values((x) => entry.dphi(x, params), grid);
    const at = (offset: number) => values((x) => entry.phi(x, params), grid.map((l) => l + offset));
    const [p1, m1, p2, m2] = [at(h), at(-h), at(h / 2), at(-h / 2)];
    grid.forEach((loss, i) => {
      // Richardson's extrapolation of two central differences: O(h^4), so float32 phi is enough.
      const wide = (p1[i] - m1[i]) / (2 * h);
      const narrow = (p2[i] - m2[i]) / h;
      const fd = (4 * narrow - wide) / 3;
      assert.ok(close(fd, dphi[i], 1e-3), `phi'(${loss}): dphi ${dphi[i]} vs finite difference ${fd}`);
    });
  });

  test(`${entry.name}: phi and dphi keep the shape of their input and leak no tensors`, () => {
    const before = tf.memory().numTensors;
    const losses = tf.tensor2d([[0.5, 1], [2, 3]]);
    const phi = entry.phi(losses, params);
    const dphi = entry.dphi(losses, params);
    assert.deepEqual(phi.shape, [2, 2]);
    assert.deepEqual(dphi.shape, [2, 2]);
    tf.dispose([losses, phi, dphi]);
    assert.equal(tf.memory().numTensors, before);
  });

  test(`${entry.name}: its defaults pass the load-time check on normalised losses`, () => {
    const options = vdmOptionsSchema.parse({ normalize: 'initial' });
    assert.equal(checkDeformation({ entry, params, options }), undefined);
  });
}
