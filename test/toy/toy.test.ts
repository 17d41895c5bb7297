// The toy surface shows the sharp-minimum filter: plain GD mostly stays in the sharp minimum,
// a strong low-loss VDM sends almost every start to the flat one, and a minimum is left exactly
// when the learning rate crosses the predicted threshold 2/(phi'(L*)*curvature).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { tempDir } from '../helpers/files.js';
import { defaultToyVdms, toyCommand } from '../../src/commands/toy.js';
import { UsageError } from '../../src/errors.js';
import { parseVdmChoice } from '../../src/toy/choice.js';
import { runToy } from '../../src/toy/run.js';
import { defaultSurface, evaluate } from '../../src/toy/surface.js';

test('the surface has its minima where, and as deep and curved as, it says', () => {
  for (const m of [defaultSurface.sharp, defaultSurface.flat]) {
    const at = evaluate(defaultSurface, m.x, m.y);
    assert.ok(Math.abs(at.loss - m.loss) < 1e-9, `${m.name} loss ${at.loss}`);
    assert.ok(Math.hypot(at.gx, at.gy) < 1e-9, `${m.name} gradient`);
    const h = 1e-4;
    const curvature = (evaluate(defaultSurface, m.x + h, m.y).gx - evaluate(defaultSurface, m.x - h, m.y).gx) / (2 * h);
    assert.ok(Math.abs(curvature - m.curvature) < 1e-6, `${m.name} curvature ${curvature}`);
  }
  // The gradient is the gradient of the loss (checked by finite differences off the minima).
  for (const [x, y] of [[0.3, 0.2], [-0.5, 0.7], [1, -0.4]]) {
    const e = evaluate(defaultSurface, x, y);
    const h = 1e-6;
    const fx = (evaluate(defaultSurface, x + h, y).loss - evaluate(defaultSurface, x - h, y).loss) / (2 * h);
    const fy = (evaluate(defaultSurface, x, y + h).loss - evaluate(defaultSurface, x, y - h).loss) / (2 * h);
    assert.ok(Math.abs(fx - e.gx) < 1e-5 && Math.abs(fy - e.gy) < 1e-5, `gradient at (${x}, ${y})`);
  }
});

test('defaults: plain GD keeps most starts in the sharp minimum, logexp sends almost all to the flat one', async () => {
  const result = await runToy({ vdms: ['logexp', 'atan', 'log'].map(parseVdmChoice), lr: 0.1, starts: 400 });
  const [plain, logexp, atan, log] = result.runs;
  assert.equal(result.startCount, 400);
  assert.ok(plain.shares.sharp >= 0.8, `plain sharp share ${plain.shares.sharp}`);
  assert.ok(logexp.shares.flat >= 0.95, `logexp flat share ${logexp.shares.flat}`);
  assert.ok(atan.shares.flat >= 0.95, `atan flat share ${atan.shares.flat}`);
  // log with a = b = 1 has phi' <= 1: it cannot destabilise anything plain GD keeps.
  assert.ok(log.shares.sharp >= plain.shares.sharp - 0.02);
  // And the predictions agree with what happened.
  assert.deepEqual(plain.stability.map((s) => s.stable), [true, true]);
  assert.deepEqual(logexp.stability.map((s) => s.stable), [false, true]);
  assert.deepEqual(log.stability.map((s) => s.stable), [true, true]);
  assert.ok(Math.abs(logexp.stability[0].scale - 1 / (1 - 0.99 * Math.exp(-0.05))) < 1e-3);
});

test('the sharp minimum is kept below the predicted learning-rate threshold and left above it', async () => {
  for (const name of ['none', 'scale', 'logexp', 'power']) {
    const choice = parseVdmChoice(name);
    const probe = await runToy({ vdms: [choice], lr: 1, starts: 1, steps: 0 });
    const limit = probe.runs[probe.runs.length - 1].stability[0].lrLimit;
    const below = await runToy({ vdms: [choice], lr: 0.9 * limit, starts: 100 });
    const above = await runToy({ vdms: [choice], lr: 1.1 * limit, starts: 100 });
    const sharpBelow = below.runs[below.runs.length - 1].shares.sharp;
    const sharpAbove = above.runs[above.runs.length - 1].shares.sharp;
    assert.ok(sharpBelow >= 0.5, `${name}: at 0.9x the threshold ${limit.toPrecision(3)}, only ${sharpBelow} stayed sharp`);
    assert.equal(sharpAbove, 0, `${name}: at 1.1x the threshold ${limit.toPrecision(3)}, ${sharpAbove} still converged to the sharp minimum`);
  }
});

test('vdm toy prints the table and writes the end-point CSV and the figure', async (t) => {
  const out = tempDir('vdm-toy-');
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const text = await toyCommand({ vdm: ['logexp', 'expr:phi=log(1 + 3*L)'], lr: 0.1, starts: 36, out });
  assert.match(text, /^plain +\d+% +\d+% +\d+% .*stable/m);
  assert.match(text, /^logexp +0% +100% +0% +17\.2 +1\.17 vs 15 +UNSTABLE/m);
  assert.match(text, /^expr:phi=log\(1 \+ 3\*L\) /m);
  const csv = readFileSync(`${out}/toy-endpoints.csv`, 'utf8').trim().split('\n');
  assert.equal(csv[0], 'vdm,start_x,start_y,end_x,end_y,end_loss,outcome');
  assert.equal(csv.length, 1 + 3 * 36);
  assert.match(csv[csv.length - 1], /^expr:phi=log\(1 \+ 3\*L\),(-?[\d.e-]+,){5}(sharp|flat|other)$/);
  const svg = readFileSync(`${out}/toy.svg`, 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /plain gradient descent/);
  assert.match(svg, /logexp \(c0=0.99\)/);
  assert.match(svg, /<\/svg>$/);
});

test('bad toy arguments are one-line usage errors', async () => {
  const cases: Array<[Parameters<typeof toyCommand>[0], RegExp]> = [
    [{ vdm: ['logexp:c0=1'], lr: 0.1, starts: 4, out: '' }, /--vdm 'logexp:c0=1': c0: c0 must be in \[0, 1\)/],
    [{ vdm: ['log:a'], lr: 0.1, starts: 4, out: '' }, /expected key=value/],
    [{ vdm: ['expr:phi=log(1+x)'], lr: 0.1, starts: 4, out: '' }, /unknown symbol 'x'/],
    [{ vdm: ['log'], lr: 0, starts: 4, out: '' }, /--lr must be a positive number/],
    [{ vdm: ['log'], lr: 0.1, starts: 0, out: '' }, /--starts must be a positive integer/],
  ];
  for (const [opts, pattern] of cases) {
    await assert.rejects(toyCommand(opts), (e: unknown) => e instanceof UsageError && pattern.test(e.message) && !e.message.includes('\n'));
  }
  await assert.rejects(toyCommand({ vdm: ['logg'], lr: 0.1, starts: 4, out: '' }), /unknown vdm 'logg'; did you mean 'log'\?/);
});

test('parseVdmChoice reads parameters, numbers as numbers, and formulas with commas', () => {
  assert.deepEqual(parseVdmChoice('log:a=2,b=0.1').params, { a: 2, b: 0.1 });
  assert.deepEqual(parseVdmChoice('expr:phi=log(L + 1, 2)').params, { phi: 'log(L + 1, 2)' });
  assert.deepEqual(parseVdmChoice('linear_band:c0=3, start=0.5,end=0.1').params, { c0: 3, start: 0.5, end: 0.1 });
  assert.deepEqual(defaultToyVdms().includes('none') || defaultToyVdms().includes('expr'), false);
});

test('plain vdm toy (no --vdm) runs every VDM that needs nothing from the user, not recorded_scale', async () => {
  const names = defaultToyVdms();
  assert.ok(!names.includes('recorded_scale') && names.includes('log'), names.join(', '));
  const out = tempDir();
  const report = await toyCommand({ vdm: [], lr: 0.1, starts: 2, out });
  for (const name of names) assert.match(report, new RegExp(name));
  rmSync(out, { recursive: true, force: true });
});
