import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerNetcKernels } from '../../backend/kernels/index.js';
import type { CheckedModel } from '../../ir/model.js';
import { compileModel } from '../../compile/compile.js';
import { toChannelsLast } from '../../ir/layout.js';
import { fashionMnistShape, fitModelToDataset } from '../../train/fitDataset.js';
import { resolveHyperparameters, type Hyperparameters } from '../../train/hyperparameters.js';
import { createOptimizer } from '../../train/optimizer.js';
import { createTrainStep, evaluate } from '../../train/step.js';

// Training in the page: netc's own compiler, optimizer and training step (the same code as `netc train`), fed
// from the bytes the playground server serves. Nothing here reads the model's text: it gets the checked model.

/** The bytes of one split: `count` images of 28x28 (one byte a pixel, row by row) and their labels. */
export interface Split {
  readonly count: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

/** What the page shows while training. */
export interface TrainEvents {
  /** After every step: the epoch (from 1), steps done in it and in all, the running loss and examples/sec. */
  onBatch(info: { epoch: number; step: number; steps: number; loss: number; examplesPerSec: number }): void;
  /** After every epoch: its mean loss, train accuracy and test accuracy. */
  onEpoch(info: { epoch: number; loss: number; trainAcc: number; testAcc: number; examplesPerSec: number; seconds: number }): void;
}

/** What the Train panel asks for; absent values come from the file's `train` line, then netc's defaults. */
export interface TrainRequest {
  readonly epochs?: number;
  readonly batch?: number;
  readonly lr?: number;
  readonly trainCount: number;
  readonly testCount: number;
}

/**
 * Why a model cannot train on Fashion-MNIST in the page, or null when it can: the checks and messages of `netc train`
 * (src/train/fitDataset.ts: the input, the class count NN3101, something to train NN3105), each with its code.
 */
export function cannotTrain(model: CheckedModel): string | null {
  const fit = fitModelToDataset(model, fashionMnistShape);
  return fit.exampleShape !== null ? null : fit.diagnostics.map((d) => `${d.code}: ${d.message}`).join(' ');
}

/** The hyperparameters of a run in the page. */
export function pageHyperparameters(model: CheckedModel, request: TrainRequest): Hyperparameters {
  return resolveHyperparameters(model.train, {
    epochs: request.epochs,
    batch: request.batch,
    lr: request.lr,
    subset: request.trainCount,
  });
}

/** Scales bytes to [0, 1] floats (netc's scaling: pixel / 255). */
function scale(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! / 255;
  return out;
}

/**
 * Trains `model` on the first `trainCount` training images and reports on the first `testCount` test images.
 * Yields to the browser between steps so the page stays responsive; `signal` stops it between steps.
 */
export async function trainInPage(
  model: CheckedModel,
  data: { train: Split; test: Split },
  request: TrainRequest,
  events: TrainEvents,
  signal: AbortSignal,
): Promise<void> {
  const h = pageHyperparameters(model, request);
  const trainCount = Math.min(request.trainCount, data.train.count);
  const testCount = Math.min(request.testCount, data.test.count);
  const shape = toChannelsLast(model.input);
  const per = 28 * 28;
  const trainX = scale(data.train.images.subarray(0, trainCount * per));
  const trainY = Int32Array.from(data.train.labels.subarray(0, trainCount));
  const testX = scale(data.test.images.subarray(0, testCount * per));
  const testY = Int32Array.from(data.test.labels.subarray(0, testCount));
  const net = compileModel(model, h.seed === null ? {} : { seed: h.seed });
  const optimizer = createOptimizer(h);
  const step = createTrainStep(net, optimizer);
  const order = Array.from({ length: trainCount }, (_, i) => i);
  const steps = Math.ceil(trainCount / h.batch);
  try {
    for (let epoch = 1; epoch <= h.epochs; epoch++) {
      shuffle(order);
      const started = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let s = 0; s < steps; s++) {
        if (signal.aborted) return;
        const indices = order.slice(s * h.batch, Math.min(trainCount, (s + 1) * h.batch));
        const xs = new Float32Array(indices.length * per);
        const ys = new Int32Array(indices.length);
        indices.forEach((index, row) => {
          xs.set(trainX.subarray(index * per, (index + 1) * per), row * per);
          ys[row] = trainY[index]!;
        });
        const x = tf.tensor(xs, [indices.length, ...shape], 'float32');
        const y = tf.tensor1d(ys, 'int32');
        const result = step(x, y);
        x.dispose();
        y.dispose();
        lossSum += result.loss;
        correct += result.correct;
        seen += indices.length;
        const seconds = (performance.now() - started) / 1000;
        events.onBatch({ epoch, step: s + 1, steps, loss: lossSum / seen, examplesPerSec: seen / Math.max(seconds, 1e-6) });
        // Let the page repaint (curves, counters) between steps.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      const seconds = (performance.now() - started) / 1000;
      const testAcc = testCount === 0 ? NaN : evaluate(net, testX, testY, shape, 256).accuracy;
      events.onEpoch({ epoch, loss: lossSum / seen, trainAcc: correct / seen, testAcc, examplesPerSec: seen / seconds, seconds });
    }
  } finally {
    net.dispose();
    optimizer.dispose();
  }
}

function shuffle(order: number[]): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
}

/** The backends the page offers; `auto` tries them in this order. */
export const pageBackends = ['webgl', 'wasm', 'cpu'] as const;

/** One of `pageBackends`, or `auto`. */
export type PageBackend = (typeof pageBackends)[number] | 'auto';

// The wasm backend's binaries are served beside the page (the build copies them); tfjs picks the SIMD one where
// the browser has WebAssembly SIMD.
setWasmPaths(new URL('./', location.href).href);

/** True when the browser's WebGL renderer is a software one. */
function softwareWebgl(): boolean {
  try {
    const gl = document.createElement('canvas').getContext('webgl');
    if (gl === null) return true;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info === null ? gl.RENDERER : info.UNMASKED_RENDERER_WEBGL));
    return /swiftshader|llvmpipe|software/i.test(renderer);
  } catch {
    return true;
  }
}

/**
 * Starts the wanted backend (`auto`: WebGL on a GPU, else wasm, else cpu; a named one falls back in that order) and returns
 * the one in use. On wasm and cpu, netc's own kernels are registered as `netc train` registers them: TensorFlow.js
 * as shipped lacks the wasm gradients these models need (Conv2DBackpropFilter).
 */
export async function chooseBackend(wanted: PageBackend): Promise<string> {
  // WebGL drawn by the CPU (SwiftShader, llvmpipe: headless browsers, machines without a GPU driver) is many times
  // slower than wasm with netc's kernels, so `auto` passes over it.
  const auto = softwareWebgl() ? (['wasm', 'webgl', 'cpu'] as const) : pageBackends;
  const order = wanted === 'auto' ? [...auto] : [wanted, ...pageBackends.filter((b) => b !== wanted)];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        if (name !== 'webgl') registerNetcKernels(name, { fast: false });
        return tf.getBackend();
      }
    } catch {
      // Try the next one: WebGL is missing in some headless browsers, WebAssembly in locked-down ones.
    }
  }
  return tf.getBackend();
}
