// `vdm --help`, `--version` and usage errors answer without loading TensorFlow.js: a resolve
// hook records every @tensorflow module the real bin/vdm process resolves. A command that does
// need it (`vdm list vdms`) is the control that shows the probe sees tfjs when it is loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, writeFiles } from '../helpers/files.js';

const BIN = fileURLToPath(new URL('../../bin/vdm', import.meta.url));
const PROBE = fileURLToPath(new URL('./probe/tfjsProbe.mjs', import.meta.url));

/** The @tensorflow modules `vdm ...args` resolved, and its exit code. */
function tensorflowModulesOf(args: string[]): { code: number | null; modules: string[]; stderr: string } {
  const out = join(tempDir(), 'probe.txt');
  const result = spawnSync(process.execPath, ['--import', PROBE, BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', VDM_TFJS_PROBE: out },
    timeout: 120_000,
  });
  const modules = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean) : [];
  return { code: result.status, modules, stderr: result.stderr };
}

const experiment = writeFiles({ 'e.yaml': 'experiment: e\nbase: base.yaml\nvariants: { a: {} }\n', 'bad.yaml': 'epochs: [1\n' });

const cases: { title: string; args: string[]; code: number }[] = [
  { title: '--help', args: ['--help'], code: 0 },
  { title: '--version', args: ['--version'], code: 0 },
  { title: 'train --help', args: ['train', '--help'], code: 0 },
  { title: 'a misspelt command', args: ['trian'], code: 2 },
  { title: 'a misspelt flag', args: ['train', '--conifg', 'x.yaml'], code: 2 },
  { title: 'a misspelt list kind', args: ['list', 'modles'], code: 2 },
  { title: 'an override where none is taken', args: ['export', 'run', 'epochs=1'], code: 2 },
  { title: 'an experiment file given to train', args: ['train', join(experiment, 'e.yaml')], code: 2 },
  { title: 'a config file that is not there', args: ['train', join(experiment, 'missing.yaml')], code: 2 },
  { title: 'a config that is not YAML', args: ['train', join(experiment, 'bad.yaml'), 'epochs=1'], code: 2 },
  { title: 'a bad --sweep of run', args: ['run', join(experiment, 'e.yaml'), '--sweep', 'optimizer.lr=', '--dry-run'], code: 2 },
];

for (const { title, args, code } of cases) {
  test(`${title} does not load TensorFlow.js`, () => {
    const result = tensorflowModulesOf(args);
    assert.equal(result.code, code, result.stderr);
    assert.deepEqual(result.modules, []);
  });
}

test('the probe sees TensorFlow.js when a command loads it (vdm list vdms)', () => {
  const result = tensorflowModulesOf(['list', 'vdms']);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.modules.some((url) => url.includes('@tensorflow/tfjs')), `modules: ${result.modules.join(', ')}`);
});
