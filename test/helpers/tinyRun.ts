// A tiny but real run config (MLP on a small synthetic data set, cpu backend) for trainer tests.
export function tinyConfigYaml(output: string, extra = ''): string {
  return `name: tiny
seed: 7
backend: cpu
epochs: 3
output: ${JSON.stringify(output)}
model: { name: mlp, hidden: [32] }
dataset: { name: synthetic, shape: [6, 6, 1], classes: 4, size: 96, test_size: 32, batch_size: 16 }
optimizer: { name: sgd, lr: 0.05, momentum: 0.9, weight_decay: 1.0e-4 }
schedule: { name: cosine }
vdm: { name: log }
${extra}`;
}

/**
 * A tiny experiment over tinyConfigYaml (as base.yaml beside it): a plain baseline and a `log`
 * variant. `extra` lines follow the variants.
 */
export function tinyExperimentYaml(name: string, seeds: readonly number[], extra = ''): string {
  return `experiment: ${name}
base: base.yaml
seeds: [${seeds.join(', ')}]
baseline: plain
variants:
  plain: { vdm: { name: none } }
  log: { vdm: { name: log, b: 0.5 } }
${extra}`;
}
