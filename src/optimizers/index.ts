// The optimizer registry: the one place a config's optimizer name becomes an update rule.
import { Registry } from '../registry.js';
import { adamOptimizer, adamwOptimizer } from './adam.js';
import { samOptimizer } from './sam.js';
import { sgdOptimizer } from './sgd.js';
import type { OptimizerEntry } from './types.js';

export const optimizers = new Registry<OptimizerEntry>('optimizer', [sgdOptimizer, adamOptimizer, adamwOptimizer, samOptimizer]);
