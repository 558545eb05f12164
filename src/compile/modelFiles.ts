import * as tf from '@tensorflow/tfjs';

/*
 * The tfjs layers format as netc writes it, in one place: `model.json` (topology, weights manifest, netc's node
 * map as user-defined metadata) and `weights.bin` (every weight's bytes, in manifest order). Compiled models
 * (src/compile/io.ts) and checkpoints (src/train/checkpoint.ts) both hold these two files.
 */

/** The two files of the tfjs layers format, as `tf.loadLayersModel('file://...')` and tfjs-node expect them. */
export const modelFileName = 'model.json';
export const weightsFileName = 'weights.bin';

/** A model encoded as its two files' contents. */
export interface EncodedModel {
  /** `model.json`'s text (one line, then a newline). */
  readonly modelJson: string;
  /** `weights.bin`'s bytes. */
  readonly weights: Uint8Array;
}

/** Encodes `model` as the contents of `model.json` and `weights.bin`, the manifest pointing at `weights.bin`. */
export async function encodeModelFiles(model: tf.LayersModel): Promise<EncodedModel> {
  const artifacts = await captureArtifacts(model);
  const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as {},
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [weightsFileName], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    // compileGraph's map from checked nodes to tfjs layers: `netc inspect` finds each bn's weights through it.
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
  return { modelJson: `${JSON.stringify(modelJson)}\n`, weights: new Uint8Array(weights) };
}

/** Runs `model.save` with a handler that only captures what tfjs would write. */
async function captureArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (captured === null) throw new Error('internal: model.save did not call the save handler');
  return captured;
}
