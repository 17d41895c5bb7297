// The facts every data set reports in `vdm data info` and run.json, in one shape.
import type { Normalization } from './augment.js';
import type { AugmentName, Dataset } from './types.js';

export function commonFacts(dataset: Dataset, normalization: Normalization, augment: AugmentName): Record<string, unknown> {
  return {
    name: dataset.name,
    input_shape: dataset.inputShape,
    classes: dataset.numClasses,
    train_size: dataset.size('train'),
    test_size: dataset.size('test'),
    mean: normalization.mean.map((m) => +m.toFixed(4)),
    std: normalization.std.map((s) => +s.toFixed(4)),
    augment,
  };
}
