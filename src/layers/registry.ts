import type { LayerKind } from './LayerKind.js';
import { avgpool } from './avgpool.js';
import { bn } from './bn.js';
import { conv } from './conv.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { flatten } from './flatten.js';
import { gelu } from './gelu.js';
import { globalavgpool } from './globalavgpool.js';
import { globalmaxpool } from './globalmaxpool.js';
import { layernorm } from './layernorm.js';
import { leakyrelu } from './leakyrelu.js';
import { maxpool } from './maxpool.js';
import { relu } from './relu.js';
import { sigmoid } from './sigmoid.js';
import { softmax } from './softmax.js';
import { tanh } from './tanh.js';

/** Every layer kind of the language, in the order they are listed to a user. */
export const layerKinds: readonly LayerKind[] = [
  conv,
  dense,
  bn,
  layernorm,
  avgpool,
  maxpool,
  globalavgpool,
  globalmaxpool,
  flatten,
  sigmoid,
  relu,
  leakyrelu,
  gelu,
  tanh,
  softmax,
  dropout,
];

const byName = new Map<string, LayerKind>();
for (const kind of layerKinds) {
  for (const name of [kind.name, ...(kind.aliases ?? [])]) byName.set(name, kind);
}

/** The kind a layer name or alias stands for (`linear` gives `dense`), or undefined. */
export function findLayerKind(name: string): LayerKind | undefined {
  return byName.get(name);
}

/** Every name a layer may be written with, aliases included. */
export function layerNames(): string[] {
  return [...byName.keys()];
}

/**
 * Names from other frameworks that are not in the language, with the layer that does their job: edit distance
 * cannot see that `batchnorm2d` is `bn`, so "did you mean" looks here first.
 */
export const layerNameHints: Readonly<Record<string, string>> = {
  conv2d: 'conv',
  convolution: 'conv',
  fc: 'dense',
  fully_connected: 'dense',
  batchnorm: 'bn',
  batch_norm: 'bn',
  batchnorm1d: 'bn',
  batchnorm2d: 'bn',
  batchnormalization: 'bn',
  avgpool2d: 'avgpool',
  avg_pool: 'avgpool',
  averagepooling2d: 'avgpool',
  maxpool2d: 'maxpool',
  max_pool: 'maxpool',
  maxpooling2d: 'maxpool',
  leaky_relu: 'leakyrelu',
  leaky: 'leakyrelu',
  lrelu: 'leakyrelu',
  layer_norm: 'layernorm',
  layernormalization: 'layernorm',
  ln: 'layernorm',
  adaptiveavgpool2d: 'globalavgpool',
  adaptive_avg_pool: 'globalavgpool',
  globalaveragepooling2d: 'globalavgpool',
  global_avg_pool: 'globalavgpool',
  gap: 'globalavgpool',
  adaptivemaxpool2d: 'globalmaxpool',
  adaptive_max_pool: 'globalmaxpool',
  globalmaxpooling2d: 'globalmaxpool',
  global_max_pool: 'globalmaxpool',
};
