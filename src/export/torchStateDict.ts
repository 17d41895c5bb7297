// A vdm model's weights as a PyTorch state dict: the parameter names of the usual PyTorch
// definitions (torchvision's for the ImageNet ResNets) and PyTorch's layouts, so that
// `load_state_dict(strict=True)` takes them and the logits agree.
import type * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { storeName } from '../models/nn.js';
import type { Model } from '../models/types.js';
import type { NamedTensor } from './safetensors.js';

/** What the renaming needs to know besides a layer's own name. */
interface NamingContext {
  /** Every layer path of the model ('stem/conv', 'stage1/block1/conv1', ..., 'logits'), in order. */
  readonly layers: readonly string[];
  readonly inputShape: readonly [number, number, number];
}

export interface TorchNaming {
  /** Which PyTorch definition the names follow (printed by `vdm export`). */
  readonly definition: string;
  /** The PyTorch module path of a vdm layer path. */
  torchLayer(layer: string, ctx: NamingContext): string;
  /** [h, w, c] of the NHWC map a dense layer's input was flattened from, when it was (PyTorch flattens NCHW). */
  flattenedFrom?(layer: string, ctx: NamingContext): readonly [number, number, number] | null;
}

type Rule = readonly [RegExp, (...groups: string[]) => string];

/** The first matching rule renames; a layer no rule knows is a bug in this table, not user input. */
function renameWith(rules: readonly Rule[]): (layer: string) => string {
  return (layer) => {
    for (const [pattern, rename] of rules) {
      const m = pattern.exec(layer);
      if (m) return rename(...m.slice(1));
    }
    throw new Error(`no PyTorch name for layer '${layer}'`);
  };
}

/** vdm numbers blocks from 1, PyTorch's nn.Sequential from 0. */
const index = (block: string) => String(Number(block) - 1);

const imageNetResNet: TorchNaming = {
  definition: 'torchvision.models.resnet*',
  torchLayer: renameWith([
    [/^stem\/conv$/, () => 'conv1'],
    [/^stem\/bn$/, () => 'bn1'],
    [/^stage(\d)\/block(\d+)\/(\d)\/(conv|bn)$/, (s, b, k, kind) => `layer${s}.${index(b)}.${kind}${k}`],
    [/^stage(\d)\/block(\d+)\/downsample\/(conv|bn)$/, (s, b, kind) => `layer${s}.${index(b)}.downsample.${kind === 'conv' ? 0 : 1}`],
    [/^fc$/, () => 'fc'],
  ]),
};

/** The layout of the widely used PyTorch CIFAR ResNet code (conv1, bn1, layer1.0.conv1, ..., linear). */
const cifarResNet: TorchNaming = {
  definition: 'the common PyTorch CIFAR ResNet (conv1, bn1, layerN.i.{conv,bn}{1,2}, linear; option-A shortcuts hold no weights)',
  torchLayer: renameWith([
    [/^stem\/conv$/, () => 'conv1'],
    [/^stem\/bn$/, () => 'bn1'],
    [/^stage(\d)\/block(\d+)\/(conv|bn)(\d)$/, (s, b, kind, k) => `layer${s}.${index(b)}.${kind}${k}`],
    [/^final\/bn$/, () => 'bn'],
    [/^logits$/, () => 'linear'],
  ]),
};

/** CIFAR-ZOO's models/densenet.py, its names as they are (dense1, dense2 but dense_3; conv_1 for the stem). */
const densenetBc: TorchNaming = {
  definition: "CIFAR-ZOO's models/densenet.py DenseNet (conv_1, denseN.i.{bn,conv}_{1,2}, trans_N.{bn,conv}, bn, fc)",
  torchLayer: renameWith([
    [/^stem\/conv$/, () => 'conv_1'],
    [/^stage(\d)\/layer(\d+)\/(conv|bn)(\d)$/, (s, i, kind, k) => `${s === '3' ? 'dense_3' : `dense${s}`}.${index(i)}.${kind}_${k}`],
    [/^stage(\d)\/transition\/(conv|bn)$/, (s, kind) => `trans_${s}.${kind}`],
    [/^final\/bn$/, () => 'bn'],
    [/^logits$/, () => 'fc'],
  ]),
};

const RESNEXT_LAYERS: Record<string, string> = {
  conv_reduce: 'conv_reduce',
  bn_reduce: 'bn_reduce',
  conv_group: 'conv_conv',
  bn_group: 'bn',
  conv_expand: 'conv_expand',
  bn_expand: 'bn_expand',
  'shortcut/conv': 'shortcut.shortcut_conv',
  'shortcut/bn': 'shortcut.shortcut_bn',
  'se/fc1': 'se_module.fc_1',
  'se/fc2': 'se_module.fc_2',
};

function resnextLayer(layer: string): string {
  const name = RESNEXT_LAYERS[layer];
  if (name === undefined) throw new Error(`no PyTorch name for bottleneck layer '${layer}'`);
  return name;
}

/** CIFAR-ZOO's models/resnext.py and models/senet.py (stage_N.stage_N_bottleneck_i.*, se_module.fc_{1,2}). */
const resnext: TorchNaming = {
  definition: "CIFAR-ZOO's models/resnext.py ResNeXt / models/senet.py SeResNeXt (conv_1_3x3, bn_1, stage_N.stage_N_bottleneck_i.{conv_reduce,conv_conv,conv_expand,...}, fc)",
  torchLayer: renameWith([
    [/^stem\/conv$/, () => 'conv_1_3x3'],
    [/^stem\/bn$/, () => 'bn_1'],
    [/^stage(\d)\/block(\d+)\/(.+)$/, (s, b, layer) => `stage_${s}.stage_${s}_bottleneck_${index(b)}.${resnextLayer(layer)}`],
    [/^logits$/, () => 'fc'],
  ]),
};

/** xternalz/WideResNet-pytorch's wideresnet.py (conv1, blockN.layer.i.{bn1,conv1,bn2,conv2,convShortcut}, bn1, fc). */
const wideResNet: TorchNaming = {
  definition: 'the WideResNet of xternalz/WideResNet-pytorch (conv1, blockN.layer.i.{bn1,conv1,bn2,conv2,convShortcut}, bn1, fc)',
  torchLayer: renameWith([
    [/^stem\/conv$/, () => 'conv1'],
    [/^stage(\d)\/block(\d+)\/(conv|bn)(\d)$/, (s, b, kind, k) => `block${s}.layer.${index(b)}.${kind}${k}`],
    [/^stage(\d)\/block(\d+)\/shortcut$/, (s, b) => `block${s}.layer.${index(b)}.convShortcut`],
    [/^final\/bn$/, () => 'bn1'],
    [/^logits$/, () => 'fc'],
  ]),
};

/** kuangliu/pytorch-cifar's models/efficientnet.py (conv1, bn1, layers.i.{conv1,bn1,conv2,bn2,se.se1,se.se2,conv3,bn3}, linear). */
const efficientNet: TorchNaming = {
  definition: "kuangliu/pytorch-cifar's models/efficientnet.py EfficientNet (conv1, bn1, layers.i.{conv1,bn1,conv2,bn2,se.se1,se.se2,conv3,bn3}, linear; no expansion conv at ratio 1)",
  torchLayer: renameWith([
    [/^stem\/(conv|bn)$/, (kind) => `${kind}1`],
    [/^block(\d+)\/((conv|bn)[123])$/, (b, layer) => `layers.${index(b)}.${layer}`],
    [/^block(\d+)\/se\/fc([12])$/, (b, k) => `layers.${index(b)}.se.se${k}`],
    [/^logits$/, () => 'linear'],
  ]),
};

const lenet5: TorchNaming = {
  definition: 'LeNet-5 as conv1, conv2, fc1, fc2, fc3 (NCHW flatten before fc1)',
  torchLayer: renameWith([
    [/^(conv[12]|fc[12])$/, (name) => name],
    [/^logits$/, () => 'fc3'],
  ]),
  flattenedFrom(layer, { inputShape: [h, w] }) {
    const side = (s: number) => Math.floor((Math.floor(s / 2) - 4) / 2);
    return layer === 'fc1' ? [side(h), side(w), 16] : null;
  },
};

const mlp: TorchNaming = {
  definition: 'an MLP as fc1, ..., fcN (nn.Flatten of NCHW images first)',
  torchLayer: (layer, { layers }) => (layer === 'logits' ? `fc${layers.length}` : renameWith([[/^(fc\d+)$/, (n) => n]])(layer)),
  flattenedFrom: (layer, { layers, inputShape }) => (layer === layers[0] ? inputShape : null),
};

const NAMINGS: Record<string, TorchNaming> = {
  mlp,
  lenet5,
  ...Object.fromEntries(['resnet18', 'resnet34', 'resnet50'].map((n) => [n, imageNetResNet])),
  ...Object.fromEntries(['resnet20', 'resnet32', 'resnet44', 'resnet56', 'resnet110'].map((n) => [n, cifarResNet])),
  ...Object.fromEntries(['preresnet20', 'preresnet56', 'preresnet110'].map((n) => [n, cifarResNet])),
  densenet_bc: densenetBc,
  resnext29: resnext,
  se_resnext29: resnext,
  wrn: wideResNet,
  efficientnet_b0: efficientNet,
};

export function torchNamingOf(modelName: string): TorchNaming {
  const naming = NAMINGS[modelName];
  if (naming === undefined) throw new UsageError(`model '${modelName}' has no PyTorch naming to export with; exportable: ${Object.keys(NAMINGS).join(', ')}`);
  return naming;
}

export const exportableModels = (): string[] => Object.keys(NAMINGS);

const LEAF_NAMES: Record<string, string> = {
  kernel: 'weight',
  bias: 'bias',
  gamma: 'weight',
  beta: 'bias',
  moving_mean: 'running_mean',
  moving_variance: 'running_var',
};

function splitName(variable: tf.Variable): [string, string] {
  const name = storeName(variable);
  const cut = name.lastIndexOf('/');
  return [name.slice(0, cut), name.slice(cut + 1)];
}

/** `data` (row-major, `shape`) with its axes reordered: result axis i is input axis perm[i]. */
function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  // Plain loops: tfjs's cpu transpose takes ~20 s on a ResNet-18, this well under one.
  const outShape = perm.map((axis) => shape[axis]!);
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((a, b) => a * b, 1));
  const permutedStrides = perm.map((axis) => strides[axis]!);
  const out = new Float32Array(data.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let source = 0;
    for (let d = 0; d < index.length; d++) source += index[d]! * permutedStrides[d]!;
    out[o] = data[source]!;
    for (let d = index.length - 1; d >= 0 && ++index[d]! === outShape[d]; d--) index[d] = 0;
  }
  return out;
}

/** tfjs HWIO conv kernels become OIHW; [in, out] dense kernels become [out, in], columns in NCHW flatten order when the input was an image. */
function torchLayout(variable: tf.Variable, flattenedFrom: readonly [number, number, number] | null): { shape: number[]; data: Float32Array } {
  const data = variable.dataSync() as Float32Array;
  const shape = variable.shape;
  if (shape.length === 4) return { shape: [3, 2, 0, 1].map((a) => shape[a]!), data: permute(data, shape, [3, 2, 0, 1]) };
  if (shape.length !== 2) return { shape: [...shape], data: data.slice() };
  const [inFeatures, outFeatures] = shape as [number, number];
  if (flattenedFrom === null) return { shape: [outFeatures, inFeatures], data: permute(data, shape, [1, 0]) };
  // Rows are (h, w, c) flattened; PyTorch's columns are (c, h, w).
  const [h, w, c] = flattenedFrom;
  return { shape: [outFeatures, inFeatures], data: permute(data, [h, w, c, outFeatures], [3, 2, 0, 1]) };
}

export interface TorchExportOptions {
  readonly inputShape: readonly [number, number, number];
  /** Written as every BatchNorm's num_batches_tracked (the training steps taken). */
  readonly batchesTracked: number;
}

/** The state dict's tensors, in the model's creation order; each BatchNorm ends with num_batches_tracked. */
export function torchStateDict(modelName: string, model: Model, options: TorchExportOptions): NamedTensor[] {
  const naming = torchNamingOf(modelName);
  const variables = [...model.params, ...model.buffers];
  const layers = [...new Set(model.params.map((v) => splitName(v)[0]))];
  const ctx: NamingContext = { layers, inputShape: options.inputShape };
  const tensors: NamedTensor[] = [];
  for (const layer of layers) {
    const torchLayer = naming.torchLayer(layer, ctx);
    const own = variables.filter((v) => splitName(v)[0] === layer);
    for (const variable of own) {
      const leaf = splitName(variable)[1];
      const torchLeaf = LEAF_NAMES[leaf];
      if (torchLeaf === undefined) throw new Error(`no PyTorch name for variable '${storeName(variable)}'`);
      const { shape, data } = torchLayout(variable, naming.flattenedFrom?.(layer, ctx) ?? null);
      tensors.push({ name: `${torchLayer}.${torchLeaf}`, shape, data });
    }
    if (own.some((v) => splitName(v)[1] === 'moving_mean')) {
      tensors.push({ name: `${torchLayer}.num_batches_tracked`, shape: [], data: BigInt64Array.of(BigInt(options.batchesTracked)) });
    }
  }
  return tensors;
}
