import * as tf from '@tensorflow/tfjs';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { loadFashionMnist, type Dataset } from '../../src/data/fashionMnist.js';
import { analyze } from '../../src/frontend/index.js';
import type { CheckedModel } from '../../src/ir/model.js';
import { fashionMnistShape, fitModelToDataset } from '../../src/train/fitDataset.js';
import { resolveHyperparameters, type Hyperparameters } from '../../src/train/hyperparameters.js';
import type { TrainRequest } from '../../src/train/train.js';
import { tinyModel, workspace } from '../cli/trainHelpers.js';

/** What a training-loop test file shares: the tiny model on 200 + 60 synthetic Fashion-MNIST images, on cpu. */
export interface TinyRun {
  /** The workspace (removed after the file's tests). */
  readonly ws: ReturnType<typeof workspace>;
  /** The loaded images (after `beforeAll`). */
  data(): Dataset;
  /** A request to train the tiny model into `runDir`: seed 11, 3 epochs of batch 32, the fast path on, `h` over it. */
  request(runDir: string, h?: Partial<Hyperparameters>): TrainRequest;
}

/** Sets up the tiny run for the calling test file (its `beforeAll` / `afterAll`). */
export function useTinyRun(): TinyRun {
  const ws = workspace(tinyModel, { train: 200, test: 60 });
  let data: Dataset;
  let model: CheckedModel;
  let exampleShape: readonly number[];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    data = await loadFashionMnist({ dataDir: ws.data, download: false });
    model = analyze(tinyModel, 'tiny').model!;
    exampleShape = fitModelToDataset(model, fashionMnistShape).exampleShape!;
  });
  afterAll(() => rmSync(ws.dir, { recursive: true, force: true }));
  return {
    ws,
    data: () => data,
    request: (runDir, h = {}) => ({
      file: 'tiny.net',
      source: tinyModel,
      model,
      hyperparameters: { ...resolveHyperparameters(model.train, { seed: 11 }), epochs: 3, batch: 32, ...h },
      train: data.train,
      test: data.test,
      exampleShape,
      backend: 'cpu',
      runDir,
      // What the CLI passes unless NETC_FAST_PATH=0.
      fastPath: true,
    }),
  };
}
