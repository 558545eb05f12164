/**
 * A plain TensorFlow.js layers model: `model.json` and `weights.bin` that `tf.loadLayersModel` reads with no netc
 * class registered. Every `bn` (netc's from-scratch one and the fast path's fused one included) is written as
 * tf.layers.batchNormalization, which computes the same in inference; the input is channels-last (NHWC).
 */
import * as tf from '@tensorflow/tfjs';
import type { CheckedLayer, CheckedModel } from '../ir/model.js';
import { compileModel } from '../compile/compile.js';
import { pair } from './graph.js';
import type { NamedArray } from './stateDict.js';

/** Why a node has no plain tfjs form, or null. */
export function tfjsUnsupported(layer: CheckedLayer): string | null {
  if (layer.op === 'maxpool') {
    const [ph, pw] = pair(layer, 'pad');
    // Padding with -infinity (PyTorch's max-pool padding) is netc's own layer; tfjs's `same` pads differently.
    if (ph > 0 || pw > 0) return 'a padded `maxpool` needs netc\'s -infinity padding layer, which plain TensorFlow.js lacks';
  }
  return null;
}

/** model.json (text) and weights.bin (bytes) of the plain model with `weights` (netc names). */
export async function plainTfjsModel(model: CheckedModel, weights: readonly NamedArray[]): Promise<{ json: string; bin: Uint8Array }> {
  const compiled = compileModel(model, { bn: 'builtin', fuse: false });
  try {
    const byName = new Map(weights.map((w) => [w.name, w]));
    const tensors = compiled.weights.map((w) => {
      const saved = byName.get(w.originalName);
      if (saved === undefined) throw new Error(`internal: no weight '${w.originalName}' for the tfjs export`);
      return tf.tensor(saved.values, [...saved.shape]);
    });
    compiled.setWeights(tensors);
    tf.dispose(tensors);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await compiled.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (artifacts?.weightSpecs === undefined || artifacts.weightData === undefined) throw new Error('internal: tfjs saved no weights');
    const json = {
      format: 'layers-model',
      generatedBy: `netc (TensorFlow.js tfjs-layers v${tf.version_layers})`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    return { json: `${JSON.stringify(json)}\n`, bin: new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData)) };
  } finally {
    compiled.dispose();
  }
}
