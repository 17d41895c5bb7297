// The evidence settings: defaults, then the experiment's evidence: block, then --evidence key=value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { evidenceDefaults, evidenceKeys, parseEvidenceFlag, resolveEvidenceSettings } from '../../src/evidence/settings.js';

describe('evidence settings', () => {
  it('keeps the quickstart-sized defaults when nothing overrides them', () => {
    assert.deepEqual(resolveEvidenceSettings({}, parseEvidenceFlag(true)), evidenceDefaults);
    assert.deepEqual([evidenceDefaults.steps, evidenceDefaults.grid, evidenceDefaults.samples], [21, 11, 512]);
  });

  it('lets the file override the defaults and the flag override the file', () => {
    const settings = resolveEvidenceSettings({ steps: 31, grid: 15, range: '-2:2' }, parseEvidenceFlag('grid=7, samples=128,between_steps=9'));
    assert.equal(settings.steps, 31);
    assert.equal(settings.grid, 7);
    assert.equal(settings.samples, 128);
    assert.equal(settings.betweenSteps, 9);
    assert.deepEqual(settings.range, [-2, 2]);
  });

  it('sets every documented key', () => {
    for (const [key, spec] of Object.entries(evidenceKeys)) {
      const value = key === 'range' ? '-3:3' : String(spec.min + 5);
      const settings = resolveEvidenceSettings({}, { [key]: value }) as unknown as Record<string, unknown>;
      assert.deepEqual(settings[spec.field], key === 'range' ? [-3, 3] : spec.min + 5, key);
    }
  });

  const bad: [string, () => unknown, RegExp][] = [
    ['an unknown key', () => resolveEvidenceSettings({}, { stepz: '3' }), /^--evidence stepz: not an evidence setting; valid: samples, steps, grid, between_steps, range, seed, iterations, probes$/],
    ['a key in the file', () => resolveEvidenceSettings({ gird: 3 }, {}, { file: 'exp.yaml: experiment.evidence', flag: '--evidence' }), /^exp\.yaml: experiment\.evidence gird: not an evidence setting/],
    ['a fraction', () => resolveEvidenceSettings({ steps: 2.5 }, {}), /steps: must be a whole number >= 2, got '2\.5'/],
    ['too few steps', () => resolveEvidenceSettings({}, { grid: '1' }), /--evidence grid: must be a whole number >= 2, got '1'/],
    ['not a number', () => resolveEvidenceSettings({}, { samples: 'abc' }), /samples: must be a whole number >= 1, got 'abc'/],
    ['a reversed range', () => resolveEvidenceSettings({}, { range: '1:-1' }), /range: must be LOW:HIGH with LOW < HIGH/],
    ['no key=value', () => parseEvidenceFlag('steps'), /^--evidence 'steps': expected key=value, e\.g\. --evidence steps=31,grid=15$/],
  ];
  for (const [what, call, message] of bad) {
    it(`refuses ${what}`, () => {
      assert.throws(call, (error: Error) => error instanceof UsageError && message.test(error.message));
    });
  }
});
