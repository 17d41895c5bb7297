// The architectures of the paper's own experiments have the parameter counts their references
// publish (counted without allocating weights: the full-size nets hold tens of millions), and
// every bad parameter is a config error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { models } from '../../src/models/index.js';
import { CIFAR10_SIZE, entryParameterCount } from '../../src/models/types.js';

const millions = (model: string, params: Record<string, unknown>, numClasses = 10) => {
  const entry = models.get(model);
  return entryParameterCount(entry, entry.params.parse(params), { ...CIFAR10_SIZE, numClasses }) / 1e6;
};

/** Published figures are rounded to 0.1M: the count must round to them. */
function assertAbout(model: string, params: Record<string, unknown>, expected: number, numClasses = 10): void {
  const m = millions(model, params, numClasses);
  assert.ok(Math.abs(m - expected) < 0.05 + 1e-9, `${model} ${JSON.stringify(params)}: ${m.toFixed(3)}M, published ${expected}M`);
}

test('densenet_bc: DenseNet-BC-100-12 0.8M and -190-40 25.6M (Huang et al. 2017, Table 2)', () => {
  assertAbout('densenet_bc', { depth: 100, growth: 12 }, 0.8);
  assertAbout('densenet_bc', { depth: 190, growth: 40 }, 25.6);
  assert.deepEqual(models.get('densenet_bc').params.parse({}), { depth: 100, growth: 12, reduction: 0.5 });
});

const BAD_PARAMS: [string, Record<string, unknown>, RegExp][] = [
  ['densenet_bc', { depth: 101 }, /6n \+ 4/],
  ['densenet_bc', { depth: 4 }, />=10|10/],
  ['densenet_bc', { growth: 0 }, /./],
  ['densenet_bc', { growth: 1.5 }, /int/],
  ['densenet_bc', { reduction: 0 }, /./],
  ['densenet_bc', { reduction: 1.5 }, /./],
  ['densenet_bc', { width: 2 }, /width/],
];

for (const [model, params, message] of BAD_PARAMS) {
  test(`${model} rejects ${JSON.stringify(params)}`, () => {
    const parsed = models.get(model).params.safeParse(params);
    assert.equal(parsed.success, false);
    assert.match(parsed.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), message);
  });
}
