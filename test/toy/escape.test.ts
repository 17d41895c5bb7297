// The escape-time experiment: measured mean escape steps agree with Kramers' prediction where the
// law holds, for plain GD, a VDM and momentum; sigma = 0 is the deterministic toy bit for bit; the
// same seed gives the same runs; and bad flags are one-line usage errors.
//
// Accuracy: the test accepts measured/predicted within a factor of 1.5. With 200 runs the mean of
// exponential escape times has a standard error of 1/sqrt(200) = 7%, and at these settings
// (step check <= 0.1, barrier 4 T) the finite step shifts the mean by up to about 15% (measured
// with 2000 runs while building this; the bias grows with the step and the barrier). A factor of
// 1.5 is that bias plus four standard errors, and is still far tighter than what a wrong model
// misses by: the harmonic form is off by 3x here, the deformed barrier d(phi) instead of dG by
// more than 10x for logexp, and forgetting 1/(1 - mu) in the temperature by e^4 at mu = 0.5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { tempDir } from '../helpers/files.js';
import { runCli } from '../helpers/cli.js';
import { toyCommand } from '../../src/commands/toy.js';
import { UsageError } from '../../src/errors.js';
import { parseVdmChoice } from '../../src/toy/choice.js';
import { descend, startGrid } from '../../src/toy/descent.js';
import { runEscape, type EscapeMethod } from '../../src/toy/escape.js';
import { estimateEscape } from '../../src/toy/escapeStats.js';
import { findBarrier, predictEscape } from '../../src/toy/kramers.js';
import { noisyDescend } from '../../src/toy/noisy.js';
import { elementwise } from '../../src/toy/run.js';
import { defaultSurface } from '../../src/toy/surface.js';

const barrier = findBarrier(defaultSurface);
const ones = (losses: Float32Array) => new Float32Array(losses.length).fill(1);
/** sigma giving barrier/T = ratio at this lr and momentum (T = lr*sigma^2/(2(1 - mu))). */
const sigmaFor = (dG: number, ratio: number, lr: number, momentum = 0) => Math.sqrt((2 * (1 - momentum) * dG) / ratio / lr);

function assertAgrees(method: EscapeMethod, factor = 1.5) {
  const { estimate: e, prediction: p } = method;
  const what = `${method.label}: measured ${Math.round(e.mean)} [${Math.round(e.ciLow)}, ${Math.round(e.ciHigh)}], Kramers ${Math.round(p.integralSteps)}, barrier ${(p.barrier / p.temperature).toFixed(2)} T, step check ${p.stepCheck.toFixed(3)}`;
  assert.ok(p.barrier / p.temperature >= 3.5 && p.stepCheck <= 0.1, `outside the law's regime: ${what}`);
  assert.ok(e.share >= 0.8, `too few escaped: ${what}`);
  assert.ok(method.ratio < factor && method.ratio > 1 / factor, what);
}

test('the barrier of the toy surface: a creased saddle on the axis, about 0.74 above the sharp minimum', () => {
  assert.ok(Math.abs(barrier.saddleLoss - 0.7906) < 1e-3, `saddle loss ${barrier.saddleLoss}`);
  assert.ok(barrier.saddleCurvature < -200, `saddle curvature ${barrier.saddleCurvature}`);
  assert.ok(Math.abs(barrier.saddlePerpCurvature - 1) < 1e-3);
  assert.ok(Math.abs(barrier.escapeAt - (barrier.saddleAt + 1) / 2) < 1e-12);
});

test('Kramers: the harmonic form is the textbook formula for plain GD; scale:a=2 is plain at twice the temperature and speed', () => {
  const noise = { lr: 0.003, sigma: 10, momentum: 0 };
  const plain = predictEscape(defaultSurface, barrier, ones, noise);
  const dL = barrier.saddleLoss - defaultSurface.sharp.loss;
  const rate = (Math.sqrt(15 * Math.abs(barrier.saddleCurvature)) / (2 * Math.PI)) * Math.exp(-dL / plain.temperature);
  assert.ok(Math.abs(plain.harmonicSteps * noise.lr * rate - 1) < 1e-3, `harmonic ${plain.harmonicSteps}`);
  assert.ok(Math.abs(plain.barrier - dL) < 1e-6);
  // phi = 2L: drift 2 grad L and diffusion 4T, i.e. plain GD at temperature 2T run twice as fast.
  const twos = (losses: Float32Array) => new Float32Array(losses.length).fill(2);
  const scaled = predictEscape(defaultSurface, barrier, twos, noise);
  const hotter = predictEscape(defaultSurface, barrier, ones, { ...noise, sigma: noise.sigma * Math.SQRT2 });
  assert.ok(Math.abs(scaled.integralSteps / (hotter.integralSteps / 2) - 1) < 1e-3, `${scaled.integralSteps} vs ${hotter.integralSteps / 2}`);
  assert.ok(Math.abs(scaled.barrier - dL / 2) < 1e-6);
  // d(phi), kept for comparison, is the deformed surface's own barrier: 2 dL here.
  assert.ok(Math.abs(scaled.phiBarrier - 2 * dL) < 1e-6 && Math.abs(plain.phiBarrier - dL) < 1e-6);
});

test('measured escape times match Kramers for plain GD (barrier 4 T), within a factor of 1.5', () => {
  const dL = barrier.saddleLoss - defaultSurface.sharp.loss;
  const result = runEscape({ vdms: [], lr: 0.003, sigma: sigmaFor(dL, 4, 0.003), momentum: 0, runs: 200, steps: 20_000, seed: 7 });
  assertAgrees(result.methods[0]);
});

test('with momentum 0.5 the temperature is lr*sigma^2/(2(1 - mu)) and time runs 1/(1 - mu) faster: Kramers still holds', () => {
  const dL = barrier.saddleLoss - defaultSurface.sharp.loss;
  const result = runEscape({ vdms: [], lr: 0.0015, sigma: sigmaFor(dL, 4, 0.0015, 0.5), momentum: 0.5, runs: 200, steps: 20_000, seed: 8 });
  assertAgrees(result.methods[0]);
});

test('logexp (c0 = 0.5) lowers the barrier to int dL/phi\' and escapes as Kramers predicts, far sooner than plain GD', () => {
  const choice = parseVdmChoice('logexp:c0=0.5');
  const dphi = (losses: Float32Array) => elementwise(choice, 'dphi', losses);
  const dG = predictEscape(defaultSurface, barrier, dphi, { lr: 1, sigma: 1, momentum: 0 }).barrier;
  const result = runEscape({ vdms: [choice], lr: 0.003, sigma: sigmaFor(dG, 4, 0.003), momentum: 0, runs: 200, steps: 12_000, seed: 9 });
  const [plain, logexp] = result.methods;
  assertAgrees(logexp);
  // The same noise: plain GD faces the full barrier, about 2 T higher.
  assert.ok(plain.estimate.mean > 5 * logexp.estimate.mean, `plain ${plain.estimate.mean} vs logexp ${logexp.estimate.mean}`);
});

test('sigma = 0 and momentum 0 reproduce the deterministic toy trajectories bit for bit, plain and deformed', () => {
  const starts = startGrid(defaultSurface, 25);
  const tracked = starts.map((_, i) => i);
  const choice = parseVdmChoice('logexp');
  const dphi = (losses: Float32Array) => elementwise(choice, 'dphi', losses);
  for (const scale of [undefined, dphi]) {
    const plainPaths = descend({ surface: defaultSurface, lr: 0.1, steps: 300, starts, tracked, dphi: scale }).paths;
    const noisy = noisyDescend({ surface: defaultSurface, lr: 0.1, sigma: 0, momentum: 0, steps: 300, starts, tracked, dphi: scale, seed: 3, escapeAt: barrier.escapeAt });
    assert.deepEqual(noisy.paths, plainPaths);
  }
});

test('the same seed gives the same runs, another seed other runs; scale:a=2 is plain GD at twice the lr, exactly', () => {
  const settings = { vdms: [parseVdmChoice('scale')], lr: 0.003, sigma: 12, momentum: 0.3, runs: 20, steps: 4000 };
  const a = runEscape({ ...settings, seed: 5 });
  const b = runEscape({ ...settings, seed: 5 });
  const c = runEscape({ ...settings, seed: 6 });
  assert.deepEqual(a.methods.map((m) => [...m.escapeSteps]), b.methods.map((m) => [...m.escapeSteps]));
  assert.deepEqual(a.methods[0].estimate, b.methods[0].estimate);
  assert.notDeepEqual([...a.methods[0].escapeSteps], [...c.methods[0].escapeSteps]);
  const doubled = runEscape({ ...settings, vdms: [], lr: 0.006, seed: 5 });
  assert.deepEqual([...a.methods[1].escapeSteps], [...doubled.methods[0].escapeSteps]);
});

test('the censoring-aware mean: total observed steps over escaped runs, a bootstrap CI, a lower bound when none escaped', () => {
  const none = estimateEscape(Int32Array.of(10, 20, 30, 40), 100, 1);
  assert.equal(none.mean, 25);
  assert.equal(none.meanOfEscaped, 25);
  assert.equal(none.median, 25);
  assert.ok(none.ciLow <= 25 && none.ciHigh >= 25 && none.ciLow >= 10 && none.ciHigh <= 40);
  const some = estimateEscape(Int32Array.of(10, 20, 0, 0), 100, 1);
  assert.equal(some.mean, (10 + 20 + 100 + 100) / 2);
  assert.equal(some.share, 0.5);
  assert.equal(some.meanOfEscaped, 15);
  const all = estimateEscape(Int32Array.of(0, 0, 0), 100, 1);
  assert.equal(all.mean, Infinity);
  assert.ok(Math.abs(all.ciLow - 300 / Math.log(20)) < 1e-9);
  assert.equal(all.ciHigh, Infinity);
});

test('vdm toy --noise prints the table and writes the table (CSV, JSON), the times and the figure', async (t) => {
  const out = tempDir('vdm-escape-');
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const text = await toyCommand({ vdm: ['log'], starts: 400, out, noise: 12, momentum: 0.2, runs: 30, steps: 3000 });
  assert.match(text, /^plain +\d+% +\d+ \[\d+, \d+\] +\d+ +[\d.]+ +\d+ +[\d.]+ +1\.00 /m);
  assert.match(text, /^log +\d+% /m);
  assert.match(text, /T = lr\*sigma\^2\/\(2\(1 - momentum\)\) = 0\.2700/);
  const table = readFileSync(`${out}/toy-escape.csv`, 'utf8').trim().split('\n');
  assert.equal(table.length, 3);
  assert.match(table[0], /^vdm,runs,escaped,share_escaped,mean_steps,ci95_low,ci95_high,/);
  assert.match(table[1], /^plain,30,\d+,/);
  const json = JSON.parse(readFileSync(`${out}/toy-escape.json`, 'utf8'));
  assert.equal(json.methods.length, 2);
  assert.equal(json.settings.runs, 30);
  assert.equal(readFileSync(`${out}/toy-escape-times.csv`, 'utf8').trim().split('\n').length, 1 + 2 * 30);
  const svg = readFileSync(`${out}/toy-escape.svg`, 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /plain gradient descent/);
  assert.match(svg, /Kramers \d+ \(harmonic \d+\)/);
  assert.match(svg, /<\/svg>$/);
});

test('sigma = 0 through the command: nothing escapes, and Kramers says never', async () => {
  const text = await toyCommand({ vdm: ['logexp'], starts: 400, out: '', noise: 0, runs: 3, steps: 50 });
  assert.match(text, /^plain +0% +inf \[\d+, inf\] +inf /m);
  assert.match(text, /^logexp +0% +inf .*\(no noise: nothing leaves the minimum\)$/m);
});

test('flood ascends in the sharp minimum (phi\' = -1 below b): it is simulated, and Kramers is not claimed', () => {
  const result = runEscape({ vdms: [parseVdmChoice('flood')], lr: 0.003, sigma: 12, momentum: 0, runs: 10, steps: 200, seed: 1 });
  const flood = result.methods[1].prediction;
  assert.ok(Number.isNaN(flood.integralSteps) && Number.isNaN(flood.harmonicSteps) && Number.isNaN(flood.barrier));
  assert.equal(flood.scaleAtMinimum, -1);
});

test('bad escape flags are one-line usage errors', async () => {
  const base = { vdm: ['log'], starts: 4, out: '' };
  const cases: Array<[Parameters<typeof toyCommand>[0], RegExp]> = [
    [{ ...base, noise: -1 }, /--noise must be a number >= 0/],
    [{ ...base, noise: 1, momentum: 1 }, /--momentum must be in \[0, 1\), got 1/],
    [{ ...base, noise: 1, momentum: -0.1 }, /--momentum must be in \[0, 1\), got -0.1/],
    [{ ...base, noise: 1, runs: 0 }, /--runs must be a positive integer, got 0/],
    [{ ...base, noise: 1, runs: 2.5 }, /--runs must be a positive integer, got 2.5/],
    [{ ...base, noise: 1, steps: 0 }, /--steps must be a positive integer, got 0/],
    [{ ...base, momentum: 0.9 }, /--momentum belongs to the escape-time experiment: give --noise too/],
    [{ ...base, runs: 10 }, /--runs belongs to the escape-time experiment/],
  ];
  for (const [opts, pattern] of cases) {
    await assert.rejects(toyCommand(opts), (e: unknown) => e instanceof UsageError && pattern.test(e.message) && !e.message.includes('\n'));
  }
});

test('on the command line, a bad --noise or --momentum exits 2 with one line naming the flag', () => {
  for (const [args, pattern] of [
    [['--noise', '-1'], /--noise '-1': too small/],
    [['--noise', '1', '--momentum', '1'], /--momentum must be in \[0, 1\)/],
  ] as const) {
    const result = runCli(['toy', ...args, '--out', '']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, pattern);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  }
});
