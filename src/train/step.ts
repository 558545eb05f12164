import * as tf from '@tensorflow/tfjs';
import { withoutInputGradient } from '../backend/kernels/index.js';
import { softmaxCrossEntropyKernel } from '../backend/kernels/softmaxCrossEntropy.js';
import { withSyncGroup, type SyncGroup } from '../backend/SyncGroup.js';
import { withNativeThreads } from '../backend/native/native.js';

/** What one training step measured, on the same forward pass that it trained on. */
export interface StepResult {
  /** The batch's summed cross-entropy (d2l accumulates loss * batch size). */
  readonly loss: number;
  /** How many examples the logits classified correctly. */
  readonly correct: number;
}

/** One SGD step on a batch: x channels-last float32 [B, ...], y int32 class indices [B]. */
export type TrainStep = (x: tf.Tensor, y: tf.Tensor) => StepResult;

/** The tf.Variable behind a layer weight (tfjs-layers keeps it as `LayerVariable.read()`). */
function variableOf(weight: tf.LayerVariable): tf.Variable {
  const v = weight.read();
  if (!(v instanceof tf.Variable)) throw new Error(`internal: weight '${weight.name}' is not backed by a tf.Variable`);
  return v;
}

/** The layers a symbolic model feeds `layer` from (its first inbound node; netc's graphs call each layer once). */
function inboundLayers(layer: tf.layers.Layer): tf.layers.Layer[] {
  const node = layer.inboundNodes[0];
  return node === undefined ? [] : node.inboundLayers;
}

/**
 * The kernels of the convolutions and dense layers whose input depends on no trainable weight (the model's
 * first layer, possibly behind padding or a flatten): the gradient with respect to their input is never used.
 */
export function inputLayerKernels(model: tf.LayersModel): tf.LayerVariable[] {
  // Whether nothing trainable lies between the model input and each layer's output. model.layers is in
  // topological order, so one pass in that order sees every layer's inputs first: no recursion, which a graph of
  // thousands of layers would take past the call stack.
  const untrained = new Map<tf.layers.Layer, boolean>();
  // A layer outside model.layers is a model input (tf.sequential leaves its InputLayer out): nothing before it.
  const isUntrained = (l: tf.layers.Layer): boolean => untrained.get(l) ?? (l.trainableWeights.length === 0 && inboundLayers(l).length === 0);
  for (const layer of model.layers) {
    untrained.set(layer, layer.trainableWeights.length === 0 && inboundLayers(layer).every(isUntrained));
  }
  const kernels: tf.LayerVariable[] = [];
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className !== 'Conv2D' && className !== 'Dense') continue;
    const inputs = inboundLayers(layer);
    if (inputs.length === 0 || !inputs.every(isUntrained)) continue;
    const kernel = layer.trainableWeights.find((w) => /(^|\/)kernel$/.test(w.originalName));
    if (kernel !== undefined) kernels.push(kernel);
  }
  return kernels;
}

/**
 * The model that yields the logits. A file that ends in `softmax` (`dense 10 | softmax`, as Keras users write)
 * outputs probabilities; softmax cross-entropy on those would apply softmax twice. For such a model this is
 * the same layers up to the softmax's input, sharing every weight: the loss takes the logits (more accurate than
 * the log of clipped probabilities), and accuracy is unchanged because softmax keeps the largest in place.
 * Any other model is returned as it is.
 */
export function logitsModel(model: tf.LayersModel): tf.LayersModel {
  const known = logitsModels.get(model);
  if (known !== undefined) return known;
  const made = withoutFinalSoftmax(model);
  logitsModels.set(model, made);
  return made;
}

/** Built once per model: evaluate runs every epoch. */
const logitsModels = new WeakMap<tf.LayersModel, tf.LayersModel>();

function withoutFinalSoftmax(model: tf.LayersModel): tf.LayersModel {
  const output = model.outputs.length === 1 ? model.outputs[0]! : undefined;
  const layer = output?.sourceLayer;
  if (output === undefined || layer === undefined || layer.getClassName() !== 'Activation' || layer.getConfig()['activation'] !== 'softmax') {
    return model;
  }
  const logits = layer.inboundNodes[output.nodeIndex]?.inputTensors;
  if (logits?.length !== 1) return model;
  return tf.model({ inputs: model.inputs, outputs: logits[0]!, name: `${model.name}_logits` });
}

/** What a step computes beyond the plain cross-entropy. */
export interface StepOptions {
  /** PyTorch's `label_smoothing`: the target puts 1 - s on the label and s / classes on every class. */
  readonly labelSmoothing?: number;
}

/**
 * The batch's summed label-smoothing addition to the cross-entropy. With the target (1 - s) one-hot + s / K, the
 * loss is CE + s * (z_label - mean(z)) per example (z the logits), so the fused kernel's cross-entropy needs only
 * this added to train the smoothed loss.
 */
function smoothingSum(logits: tf.Tensor, labels: tf.Tensor, s: number): tf.Scalar {
  const classes = logits.shape[logits.shape.length - 1]!;
  const picked = tf.sum(tf.mul(logits, tf.oneHot(labels as tf.Tensor1D, classes)), 1);
  return tf.mul(tf.sum(tf.sub(picked, tf.mean(logits, 1))), s);
}

/**
 * Builds the training step for a model and optimizer. Each call runs the model in training mode (batch
 * statistics; the moving statistics move exactly once), takes the softmax cross-entropy of the logits averaged
 * over the batch (PyTorch's CrossEntropyLoss) and its gradients, applies the optimizer, and reads back the summed
 * loss and the hit count with one data transfer. Every tensor it makes is released before it returns. A final
 * softmax layer is left out of the step (see `logitsModel`).
 */
export function createTrainStep(model: tf.LayersModel, optimizer: tf.Optimizer, options: StepOptions = {}): TrainStep {
  const smoothing = options.labelSmoothing ?? 0;
  const variables = model.trainableWeights.map(variableOf);
  const firstKernels = inputLayerKernels(model).map(variableOf);
  const net = logitsModel(model);
  const outputShape = net.outputs[0]?.shape;
  const classes = outputShape?.[outputShape.length - 1];
  if (typeof classes !== 'number' || outputShape?.length !== 2) {
    throw new Error(`internal: createTrainStep needs a model with logits [B, classes], got ${JSON.stringify(outputShape)}`);
  }

  return (x, y) => {
    const batch = x.shape[0]!;
    // The fast path's loss kernel, where it is registered (src/backend/kernels/softmaxCrossEntropy.ts): loss, summed
    // loss and hits in one call instead of some twenty. Asked every step, as the bench swaps kernel sets.
    const fusedLoss = tf.getKernel(softmaxCrossEntropyKernel, tf.getBackend()) !== undefined;
    let hits: tf.Tensor | null = null;
    let stats: tf.Tensor | null = null;
    const packed = tf.tidy(() => {
      const labels = y.dtype === 'int32' ? y : tf.cast(y, 'int32');
      const { value, grads } = withoutInputGradient(firstKernels, () =>
        tf.variableGrads(() => {
          const logits = net.apply(x, { training: true }) as tf.Tensor;
          if (fusedLoss) {
            const [loss, sumAndHits] = tf.engine().runKernel(softmaxCrossEntropyKernel, { logits, labels }, {}) as tf.Tensor[];
            if (smoothing === 0) {
              stats = tf.keep(sumAndHits!);
              return loss as tf.Scalar;
            }
            const extra = smoothingSum(logits, labels, smoothing);
            stats = tf.keep(tf.add(sumAndHits!, tf.stack([extra, tf.scalar(0)])));
            return tf.add(loss!, tf.div(extra, batch)) as tf.Scalar;
          }
          // Counted on this same forward pass; kept because the gradient machinery disposes everything else.
          hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')));
          return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, classes), logits, undefined, smoothing) as tf.Scalar;
        }, variables),
      );
      optimizer.applyGradients(grads);
      return stats ?? tf.stack([tf.mul(value, batch), hits!]);
    });
    const [loss, correct] = packed.dataSync();
    packed.dispose();
    (hits as tf.Tensor | null)?.dispose();
    return { loss: loss!, correct: correct! };
  };
}

/** One member's step of a data-parallel batch: its shard, the whole batch's size, and how many members hold copies. */
export type MemberStep = (x: tf.Tensor, y: tf.Tensor, batch: number, copies: number) => StepResult;

/**
 * The training step of one member of a data-parallel group (src/train/parallel): the member trains on its shard
 * of the batch, with the batch-norm kernels sharing their statistics across the group (synchronised batch norm)
 * and the loss divided by the whole batch's size, so the members' weight gradients add up to the whole batch's.
 * Those gradients, the summed loss and the hits are added across the group in rank order before the optimizer
 * runs, so every member applies the same update and the replicas stay equal. `copies` > 1 means every member
 * got the whole batch (a batch smaller than the group): the sums then count it that many times and are divided
 * back. Needs netc's fast path (its loss and batch-norm kernels) on the current backend.
 */
export function createMemberStep(model: tf.LayersModel, optimizer: tf.Optimizer, group: SyncGroup, options: StepOptions = {}): MemberStep {
  const smoothing = options.labelSmoothing ?? 0;
  const variables = model.trainableWeights.map(variableOf);
  const firstKernels = inputLayerKernels(model).map(variableOf);
  const net = logitsModel(model);
  if (tf.getKernel(softmaxCrossEntropyKernel, tf.getBackend()) === undefined) {
    throw new Error(`internal: a data-parallel step needs netc's fast-path kernels on ${tf.getBackend()}`);
  }
  // The cores are the group's members already: each member's native kernels run on its own core only.
  return (x, y, batch, copies) =>
    withNativeThreads(1, () => withSyncGroup(group, () => {
      let stats: tf.Tensor | null = null;
      const packed = tf.tidy(() => {
        const labels = y.dtype === 'int32' ? y : tf.cast(y, 'int32');
        const { grads } = withoutInputGradient(firstKernels, () =>
          tf.variableGrads(() => {
            const logits = net.apply(x, { training: true }) as tf.Tensor;
            const [loss, sumAndHits] = tf.engine().runKernel(softmaxCrossEntropyKernel, { logits, labels }, { divisor: batch * copies }) as tf.Tensor[];
            if (smoothing === 0) {
              stats = tf.keep(sumAndHits!);
              return loss as tf.Scalar;
            }
            const extra = smoothingSum(logits, labels, smoothing);
            stats = tf.keep(tf.add(sumAndHits!, tf.stack([extra, tf.scalar(0)])));
            return tf.add(loss!, tf.div(extra, batch * copies)) as tf.Scalar;
          }, variables),
        );
        // Every gradient and the two sums in one exchange, in the variables' order (the same on every member).
        const parts = variables.map((v) => grads[v.name]!.dataSync());
        const flat = new Float64Array(parts.reduce((n, p) => n + p.length, 0) + 2);
        let at = 0;
        for (const p of parts) {
          flat.set(p, at);
          at += p.length;
        }
        flat.set(stats!.dataSync(), at);
        const total = group.allReduce(flat);
        const summed: tf.NamedTensorMap = {};
        at = 0;
        variables.forEach((v, i) => {
          summed[v.name] = tf.tensor(Float32Array.from(total.subarray(at, at + parts[i]!.length)), v.shape);
          at += parts[i]!.length;
        });
        optimizer.applyGradients(summed);
        return tf.tensor([total[at]! / copies, total[at + 1]! / copies]);
      });
      const [loss, correct] = packed.dataSync();
      packed.dispose();
      (stats as tf.Tensor | null)?.dispose();
      return { loss: loss!, correct: correct! };
    }));
}

/**
 * Accuracy of the model in inference mode (moving statistics) on a whole set, `batchSize` examples at a time.
 * `images` holds the examples one after another, each of `exampleShape` (channels-last, or flat).
 */
export function evaluate(
  model: tf.LayersModel,
  images: Float32Array,
  labels: Int32Array,
  exampleShape: readonly number[],
  batchSize: number,
): { accuracy: number } {
  const per = exampleShape.reduce((p, d) => p * d, 1);
  const count = labels.length;
  if (count === 0 || images.length !== count * per) {
    throw new Error(`internal: evaluate got ${images.length} values for ${count} examples of ${exampleShape.join('x')}`);
  }
  if (!(batchSize >= 1)) throw new Error(`internal: evaluate needs a positive batch size, got ${batchSize}`);
  const net = logitsModel(model);
  let total: tf.Tensor = tf.scalar(0, 'int32');
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(count, start + batchSize);
    const next = tf.tidy(() => {
      const x = tf.tensor(images.subarray(start * per, end * per), [end - start, ...exampleShape], 'float32');
      const y = tf.tensor1d(labels.subarray(start, end), 'int32');
      const logits = net.apply(x, { training: false }) as tf.Tensor;
      return tf.add(total, tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32')));
    });
    total.dispose();
    total = next;
  }
  const hits = total.dataSync()[0]!;
  total.dispose();
  return { accuracy: hits / count };
}
