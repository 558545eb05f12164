import * as tf from '@tensorflow/tfjs';
import { FusedAddActivation } from './fused/FusedAddActivation.js';
import { FusedBatchNormActivation } from './fused/FusedBatchNormActivation.js';
import { NegInfPadding2D } from './NegInfPadding2D.js';
import { ScratchBatchNorm } from './ScratchBatchNorm.js';
import { SeededDropout } from './SeededDropout.js';

/*
 * Every tfjs layer class of netc's own, in one list, registered by one function. A saved or compiled model may
 * hold any of them (`Custom>NetcBatchNorm`, ...), so whatever loads one calls `registerNetcLayers()` first:
 * `loadModel`, the compiler, and a user's script with the import the README documents.
 */

/** A netc layer class: built from its `getConfig()` object, saved under its `className`. */
export type NetcLayerClass = (new (config: never) => tf.layers.Layer) & { readonly className: string };

/** netc's custom tfjs layers, by the class name they are saved under. */
export const netcLayerClasses: ReadonlyMap<string, NetcLayerClass> = new Map<string, NetcLayerClass>(
  [ScratchBatchNorm, FusedBatchNormActivation, FusedAddActivation, NegInfPadding2D, SeededDropout].map((cls) => [cls.className, cls]),
);

let registered = false;

/**
 * Registers every netc layer class with tfjs's serialization, so `tf.loadLayersModel` can rebuild models that use
 * them. Call it once before loading a model netc compiled or trained; calling it again does nothing.
 */
export function registerNetcLayers(): ReadonlyMap<string, NetcLayerClass> {
  if (!registered) {
    for (const cls of netcLayerClasses.values()) tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
    registered = true;
  }
  return netcLayerClasses;
}

/** A netc layer built by class name from its configuration (the `custom` of a LowerContext). */
export function createNetcLayer(className: string, config: tf.serialization.ConfigDict): tf.layers.Layer {
  const cls = registerNetcLayers().get(className);
  if (cls === undefined) {
    throw new Error(`internal: no netc layer class '${className}' (known: ${[...netcLayerClasses.keys()].join(', ')})`);
  }
  return new cls(config as never);
}
