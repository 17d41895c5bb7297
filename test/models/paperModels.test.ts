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

/** Published figures are given to 0.1M, rounded or truncated (ResNeXt-29 16x64d's 68.155M is "68.1M"). */
function assertAbout(model: string, params: Record<string, unknown>, expected: number, numClasses = 10): void {
  const m = millions(model, params, numClasses);
  assert.ok(Math.abs(m - expected) < 0.1, `${model} ${JSON.stringify(params)}: ${m.toFixed(3)}M, published ${expected}M`);
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
  ['resnext29', { depth: 30 }, /9n \+ 2/],
  ['resnext29', { cardinality: 0 }, /./],
  ['resnext29', { base_width: -1 }, /./],
  ['resnext29', { se_reduction: 16 }, /se_reduction/],
  ['se_resnext29', { stem_width: 2 }, /se_reduction leaves no channels/],
  ['se_resnext29', { se_reduction: 0 }, /./],
  ['wrn', { depth: 26 }, /6n \+ 4/],
  ['wrn', { widen: 0 }, /./],
  ['wrn', { dropout: 1 }, /./],
  ['wrn', { dropout: -0.1 }, /./],
  ['wrn', { width: 10 }, /width/],
  ['efficientnet_b0', { width: 0 }, /width/],
  ['efficientnet_b0', { depth: -1 }, /depth/],
  ['efficientnet_b0', { dropout: 1 }, /dropout/],
  ['efficientnet_b0', { drop_connect: -0.1 }, /drop_connect/],
  ['efficientnet_b0', { se_ratio: 0.25 }, /se_ratio/],
];

for (const [model, params, message] of BAD_PARAMS) {
  test(`${model} rejects ${JSON.stringify(params)}`, () => {
    const parsed = models.get(model).params.safeParse(params);
    assert.equal(parsed.success, false);
    assert.match(parsed.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), message);
  });
}

test('resnext29: 16x64d 68.1M and 8x64d 34.4M (Xie et al. 2017, Table 7); SE adds 2C^2/16 per block (+0.5M)', () => {
  assertAbout('resnext29', { cardinality: 16, base_width: 64 }, 68.1);
  assertAbout('resnext29', { cardinality: 8, base_width: 64 }, 34.4);
  // SE blocks: 3 per stage at C = 256, 512, 1024: 3 * sum(2 C^2 / 16 + C / 16 + C).
  const se = 3 * [256, 512, 1024].reduce((n, c) => n + (2 * c * c) / 16 + c / 16 + c, 0);
  for (const cardinality of [16, 8]) {
    const plain = millions('resnext29', { cardinality }) * 1e6;
    assert.ok(Math.abs(millions('se_resnext29', { cardinality }) * 1e6 - plain - se) < 1, `se_resnext29 ${cardinality}x64d`);
  }
  assert.deepEqual(models.get('se_resnext29').params.parse({}), { depth: 29, cardinality: 16, base_width: 64, stem_width: 64, se_reduction: 16 });
});

test('wrn: WRN-28-10 36.5M and WRN-16-8 11.0M (Zagoruyko & Komodakis 2016, Table 4)', () => {
  assertAbout('wrn', { depth: 28, widen: 10 }, 36.5);
  assertAbout('wrn', { depth: 16, widen: 8 }, 11.0);
  assert.deepEqual(models.get('wrn').params.parse({}), { depth: 28, widen: 10, dropout: 0 });
});

test('efficientnet_b0: 3,598,598 on CIFAR-10, kuangliu/pytorch-cifar\'s 3,599,686 less the expansion conv + BN it allocates and never uses (32*32 + 2*32)', () => {
  assert.equal(Math.round(millions('efficientnet_b0', {}) * 1e6), 3_599_686 - (32 * 32 + 2 * 32));
  assert.deepEqual(models.get('efficientnet_b0').params.parse({}), { width: 1, depth: 1, dropout: 0.2, drop_connect: 0.2 });
  // Width 0.5 halves every width (the B0 channels are multiples of 16): about a quarter of the weights (0.97M).
  assert.ok(Math.abs(millions('efficientnet_b0', { width: 0.5 }) - 0.97) < 0.01);
});
