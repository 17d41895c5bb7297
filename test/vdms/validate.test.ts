// Bad VDM configs are caught when the config loads, each with one line that says what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError } from '../../src/errors.js';
import { compileExpr } from '../../src/vdms/expr/compile.js';
import { vdms } from '../../src/vdms/index.js';
import { checkedLossMax, vdmOptionsSchema } from '../../src/vdms/options.js';
import type { VdmEntry, VdmOptions } from '../../src/vdms/types.js';
import { checkDeformation } from '../../src/vdms/validate.js';

function check(name: string, raw: Record<string, unknown>, options: Partial<VdmOptions> = {}): string | undefined {
  const entry = vdms.get(name);
  return checkDeformation({ entry, params: entry.params.parse(raw), options: vdmOptionsSchema.parse(options) });
}

/** The first problem zod reports for an entry's parameters. */
function paramsProblem(name: string, raw: Record<string, unknown>): string | undefined {
  const result = vdms.get(name).params.safeParse(raw);
  return result.success ? undefined : `${result.error.issues[0].path.join('.')}: ${result.error.issues[0].message}`;
}

function assertOneLine(message: string | undefined, pattern: RegExp): void {
  assert.ok(message, 'expected a problem');
  assert.ok(!message.includes('\n'), `not one line: ${message}`);
  assert.match(message, pattern);
}

const rangeCases: Array<[string, Record<string, unknown>, Partial<VdmOptions>, RegExp]> = [
  ['expr', { phi: 'L - 0.1*L^2' }, {}, /^phi'\(5(\.\d+)?\) = .*phi must be strictly increasing \(phi' > 0\) over the losses it will see, \[0, 20\]$/],
  ['expr', { phi: '-log(1 + L)' }, {}, /^phi'\(0\) = -1: phi must be strictly increasing/],
  ['expr', { phi: 'L - 0.6*L^2' }, { normalize: 'initial' }, /^phi'\(0\.8\d*\) = .*\[0, 2\]$/],
  ['expr', { phi: '3' }, {}, /^phi'\(0\) = 0: phi must be strictly increasing/],
  ['expr', { phi: 'sqrt(L)' }, {}, /^phi'\(0\) = Infinity: phi' must be finite/],
  ['expr', { phi: 'log(L)' }, {}, /^phi\(0\) = -Infinity: phi must be finite/],
  ['sech', {}, {}, /^phi'\(5\.\d+\) = 9\.\d+e-5: the step is killed \(phi' < 0\.0001\).*\[0, 20\]; change the parameters or normalize$/],
  ['sech', { c1: 0.05 }, { normalize: 'initial' }, /the step is killed .*\[0, 2\]/],
  ['exp', { a: 1 }, {}, /^phi'\(9\.\d+\) = .*: the step blows up \(phi' > 10000\).*set max_scale/],
  ['power', { eps: 1e-9 }, {}, /^phi'\(0\) = .*the step blows up/],
];

for (const [name, raw, options, pattern] of rangeCases) {
  test(`${name} ${JSON.stringify(raw)} ${JSON.stringify(options)}: rejected over its loss range`, () => {
    assertOneLine(check(name, raw, options), pattern);
  });
}

test('the same formulas pass where they are fine: a narrower range, or a cap', () => {
  assert.equal(check('expr', { phi: 'L - 0.1*L^2' }, { loss_max: 4 }), undefined);
  assert.equal(check('exp', { a: 1 }, { max_scale: 10 }), undefined);
  assert.equal(check('sech', {}, { normalize: 'initial' }), undefined);
  assert.equal(check('expr', { phi: 'log(1 + 3*L)' }), undefined);
  // linear_band's phi jumps at the band edges, by design: checked piece by piece, it passes.
  assert.equal(check('linear_band', { c0: 0.5, start: 5, end: 1 }), undefined);
});

test("an entry whose dphi disagrees with its phi is caught", () => {
  const log = vdms.get('log');
  const wrong: VdmEntry = { ...log, name: 'wrong', dphi: (loss, p) => tf.mul(log.dphi(loss, p), 1.5) };
  const problem = checkDeformation({ entry: wrong, params: { a: 1, b: 1 }, options: vdmOptionsSchema.parse({}) });
  assertOneLine(problem, /^phi'\(0\) = 1\.5 but autodiff of phi gives 1: the entry's phi' does not match its phi$/);
});

const paramCases: Array<[string, Record<string, unknown>, RegExp]> = [
  ['logexp', { c0: 1 }, /^c0: c0 must be in \[0, 1\): at c0 >= 1/],
  ['logexp', { c0: -0.1 }, /^c0: c0 must be in \[0, 1\)/],
  ['power', { p: 1.5 }, /^p: p must be strictly between 0 and 1/],
  ['power', { p: 0 }, /^p: p must be strictly between 0 and 1/],
  ['power', { p: 1 }, /^p: /],
  ['log', { b: 0 }, /^b: /],
  ['sech', { c1: -1 }, /^c1: /],
  ['linear_band', { start: 0.1, end: 0.2 }, /^start: start must be greater than end/],
  ['scale', { a: 'two' }, /^a: .*number/],
  ['log', { c: 1 }, /c/],
  ['expr', { phi: 'log(1 + x)' }, /^phi: phi 'log\(1 \+ x\)': unknown symbol 'x'; a formula may use L, pi, e and numbers$/],
  ['expr', { phi: 'softplus(L)' }, /^phi: phi 'softplus\(L\)': unknown function 'softplus'; known: log/],
  ['expr', { phi: 'log(1 + L' }, /^phi: cannot parse phi 'log\(1 \+ L': /],
  ['expr', {}, /^phi: /],
  ['expr', { phi: 'L + constructor' }, /^phi: phi 'L \+ constructor': unknown symbol 'constructor'/],
  ['expr', { phi: 'toString(L)' }, /^phi: phi 'toString\(L\)': unknown function 'toString'/],
  ['expr', { phi: `L${' + L'.repeat(200)}` }, /^phi: phi 'L \+ L .*\.\.\.' is 801 characters long; at most 500$/],
  ['expr', { phi: Array(60).fill('L').join('*') }, /^phi: phi '.*' has 119 terms; at most 100$/],
  ['expr', { phi: `${'-'.repeat(55)}L` }, /^phi: phi '.*' is nested 56 levels deep; at most 50$/],
  ['expr', { phi: Array(40).fill('L').join('^') }, /^phi: phi '.*': its derivative has 3511 terms, more than 2000; write a simpler formula$/],
];

for (const [name, raw, pattern] of paramCases) {
  test(`${name} ${JSON.stringify(raw)}: a one-line parameter problem`, () => {
    assertOneLine(paramsProblem(name, raw), pattern);
  });
}

test('a power tower (exponential under symbolic simplification) compiles and is checked on the grid', () => {
  // 16 levels took over a minute with mathjs's simplify; the plain derivative is 631 nodes.
  const tower = Array(16).fill('L').join('^');
  assertOneLine(check('expr', { phi: tower }), /^phi(')?\(0\) = (NaN|-?Infinity|\d.*): /);
});

test('compileExpr: phi and its symbolic derivative as tensor ops', () => {
  const compiled = compileExpr('log(1 + 3*L) + e^(-L) + pi*L');
  const at = [0, 0.5, 2];
  const phi = compiled.phi(tf.tensor1d(at)).dataSync();
  const dphi = compiled.dphi(tf.tensor1d(at)).dataSync();
  at.forEach((l, i) => {
    assert.ok(Math.abs(phi[i] - (Math.log(1 + 3 * l) + Math.exp(-l) + Math.PI * l)) < 1e-5);
    assert.ok(Math.abs(dphi[i] - (3 / (1 + 3 * l) - Math.exp(-l) + Math.PI)) < 1e-5);
  });
  assert.ok(compiled.derivativeText.length > 0);
});

test('compileExpr throws ConfigError for what it cannot use, naming it', () => {
  const cases: Array<[string, RegExp]> = [
    ['L mod 2', /operator 'mod' is not supported/],
    ['[1, 2]', /not allowed \(ArrayNode\)/],
    ['f(L) = L', /not allowed/],
    ['', /phi is empty/],
    ['sqrt(L, 2)', /takes one argument/],
    ['L == 1', /operator '==' is not supported/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => compileExpr(text), (error: unknown) => error instanceof ConfigError && pattern.test(error.message) && !error.message.includes('\n'), text);
  }
});

test('vdm options: defaults, ranges, and the checked loss range', () => {
  assert.deepEqual(vdmOptionsSchema.parse({}), { apply: 'batch', normalize: 'none', start_epoch: 1 });
  const bad: Array<Record<string, unknown>> = [
    { apply: 'both' },
    { normalize: 'first' },
    { start_epoch: 0 },
    { start_epoch: 1.5 },
    { start_epoch: 5, end_epoch: 4 },
    { max_scale: 0 },
    { loss_max: -1 },
  ];
  for (const raw of bad) assert.equal(vdmOptionsSchema.safeParse(raw).success, false, JSON.stringify(raw));
  const tooEarly = vdmOptionsSchema.safeParse({ start_epoch: 5, end_epoch: 4 });
  assert.deepEqual(tooEarly.error?.issues[0].path, ['end_epoch']);
  assert.equal(checkedLossMax({ normalize: 'none' }), 20);
  assert.equal(checkedLossMax({ normalize: 'initial' }), 2);
  assert.equal(checkedLossMax({ normalize: 'initial', loss_max: 5 }), 5);
  assert.ok(vdmOptionsSchema instanceof z.ZodType);
});
