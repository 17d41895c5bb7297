// The model registry: the one place a config's model name becomes a network.
import { Registry } from '../registry.js';
import { densenetBcModel } from './densenet.js';
import { efficientNetB0Model } from './efficientnet.js';
import { resnext29Model, seResnext29Model } from './resnext.js';
import { wideResNetModel } from './wideResnet.js';
import { lenet5Model } from './lenet5.js';
import { mlpModel } from './mlp.js';
import { cifarPreResNets, cifarResNets } from './resnetCifar.js';
import { imageNetResNets } from './resnetImagenet.js';
import type { ModelEntry } from './types.js';

export const models = new Registry<ModelEntry>('model', [mlpModel, lenet5Model, ...cifarResNets, ...cifarPreResNets, ...imageNetResNets, densenetBcModel, resnext29Model, seResnext29Model, wideResNetModel, efficientNetB0Model]);
