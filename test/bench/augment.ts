/**
 * Augmentation's cost (issue 16: at most 10% on an epoch): LeNet-BN epochs on a 12,000-image Fashion-MNIST subset on
 * the wasm backend, with `flip=true crop=4` and without, interleaved three times each; prints the median epoch time of
 * each and the ratio. Run with `npm run bench:augment` (needs /usr/share/datasets/fashion-mnist).
 */
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/select.js';
import { loadFashionMnist, subset } from '../../src/data/fashionMnist.js';
import { analyze } from '../../src/frontend/analyze.js';
import { fashionMnistShape, fitModelToDataset } from '../../src/train/fitDataset.js';
import { resolveHyperparameters } from '../../src/train/hyperparameters.js';
import { trainModel } from '../../src/train/train.js';

const source = readFileSync(new URL('../../models/lenet-bn.net', import.meta.url), 'utf8');
const model = analyze(source, 'lenet-bn.net').model!;
await selectBackend('wasm', { fastPath: true });
const data = await loadFashionMnist({ download: false });
const train = { ...subset(data.train, 12_000), channels: 1 };
const exampleShape = fitModelToDataset(model, fashionMnistShape).exampleShape!;
const dir = mkdtempSync(join(tmpdir(), 'netc-augment-bench-'));

async function epochSeconds(flip: boolean, crop: number, run: number): Promise<number> {
  const hyperparameters = { ...resolveHyperparameters(model.train, { seed: 1 }), epochs: 1, flip, crop };
  const outcome = await trainModel({
    file: 'lenet-bn.net', source, model, hyperparameters, train, test: data.test, exampleShape, backend: 'wasm',
    runDir: join(dir, `${flip}-${crop}-${run}`), fastPath: true, threads: 1,
  });
  return train.count / outcome.history[0]!.examplesPerSec;
}

const plain: number[] = [];
const augmented: number[] = [];
await epochSeconds(false, 0, -1); // warm-up
for (let run = 0; run < 3; run++) {
  plain.push(await epochSeconds(false, 0, run));
  augmented.push(await epochSeconds(true, 4, run));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const [p, a] = [median(plain), median(augmented)];
console.log(`LeNet-BN, 12,000 images, batch 256, wasm, 1 thread: training time per epoch (steps, batch assembly and augmentation)`);
console.log(`  no augmentation:  ${p.toFixed(2)} s (runs ${plain.map((x) => x.toFixed(2)).join(', ')})`);
console.log(`  flip + crop4:     ${a.toFixed(2)} s (runs ${augmented.map((x) => x.toFixed(2)).join(', ')})`);
console.log(`  ratio:            ${(a / p).toFixed(3)} (${((a / p - 1) * 100).toFixed(1)}% slower)`);
rmSync(dir, { recursive: true, force: true });
