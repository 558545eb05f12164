import { loadFashionMnist } from '../../data/fashionMnist.js';
import { fashionMnistShape, fitModelToDataset } from '../../train/fitDataset.js';
import { resolveHyperparameters } from '../../train/hyperparameters.js';
import { torchRecipeProblem } from '../../export/pytorchTrain.js';
import { EpochProgress } from '../../train/progress.js';
import { formatEpochLine, formatFinalLines } from '../../train/report.js';
import { CliError, type CliIO } from '../io.js';
import { readModelFile, reportDiagnostics, withFitDiagnostics } from '../modelFile.js';
import { netcVersion } from '../version.js';
import { ensureRunDir } from '../../train/runDirectory.js';
import { chooseRunDir, downloadProgress, flagsOf, headerLines, type NumberFlags, type TrainArgs } from './train.js';

/** Exit status of a run stopped by Ctrl-C. */
const interruptedExit = 130;

/**
 * `netc train FILE --engine torch [--nproc N]`: the same header, progress, epoch lines and run directory as the tfjs
 * engine, with PyTorch doing the training (src/export/torchEngine.ts).
 */
export async function trainOnTorch(args: TrainArgs, flags: NumberFlags, io: CliIO): Promise<number> {
  if (args.resume !== undefined) {
    throw new CliError('--resume continues a run with the tfjs engine; leave out --engine torch (a torch run saves netc checkpoints, so it can be resumed that way).');
  }
  if (args.threads !== undefined) throw new CliError('--threads is for the tfjs engine; with --engine torch use --nproc.');
  const nproc = args.nproc ?? 1;
  if (!(Number.isInteger(nproc) && nproc >= 1 && nproc <= 256)) throw new CliError(`--nproc must be a whole number from 1 to 256, got ${nproc}.`);
  if (args.backend !== 'auto') throw new CliError('--backend chooses a TensorFlow.js backend; PyTorch picks CUDA when it has it, else the CPU.');

  const [{ trainWithTorch, torchBackendName }, { findTorchPython }, { hasCheckpoint }, tf] = await Promise.all([
    import('../../export/torchEngine.js'),
    import('../../export/python.js'),
    import('../../train/checkpoint.js'),
    import('@tensorflow/tfjs'),
  ]);
  tf.env().set('PROD', true);
  const modelFile = readModelFile(args.file!);
  if (!modelFile.model) {
    reportDiagnostics(io, [modelFile]);
    return 1;
  }
  const model = modelFile.model;
  const fit = fitModelToDataset(model, fashionMnistShape);
  if (fit.exampleShape === null) {
    reportDiagnostics(io, [withFitDiagnostics(modelFile, fit.diagnostics)]);
    return 1;
  }
  if (modelFile.diagnostics.length > 0) reportDiagnostics(io, [modelFile]);
  const h = resolveHyperparameters(model.train, flagsOf(args, flags));
  const problem = torchRecipeProblem(h);
  if (problem !== null) throw new CliError(`--engine torch: ${problem}; train with --engine tfjs.`);
  const runDir = chooseRunDir(args.out, model.name, hasCheckpoint);
  const python = findTorchPython({ explicit: args.python ?? process.env['NETC_PYTHON'], path: process.env['PATH'] });
  const data = await loadFashionMnist({
    ...(args.data !== undefined ? { dataDir: args.data } : {}),
    download: args.download,
    onProgress: downloadProgress(io),
  });
  if (h.subset !== null && h.subset > data.train.count) {
    throw new CliError(`--subset ${h.subset} is more than the ${data.train.count.toLocaleString('en-US')} training images.`);
  }
  ensureRunDir(runDir);
  const trainCount = h.subset ?? data.train.count;
  const hasBn = model.layers.some((layer) => layer.op === 'bn');
  const parallel = nproc > 1 ? ` (DistributedDataParallel${hasBn ? ', synchronised batch norm' : ''})` : '';
  io.out(`PyTorch ${python.torchVersion} (${python.path}), ${nproc} process${nproc === 1 ? '' : 'es'}${parallel}\n`);
  io.out(headerLines(model, h, data, trainCount, 0, runDir, undefined));

  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) return;
    controller.abort();
    io.err('\nStopping the PyTorch processes; the last complete epoch stays saved.\n');
  };
  process.on('SIGINT', onSigint);
  const progress = new EpochProgress({
    write: io.out,
    isTTY: io.isTTY,
    ...(process.stdout.columns !== undefined ? { columns: process.stdout.columns } : {}),
  });
  let outcome;
  try {
    outcome = await trainWithTorch({
      file: modelFile.file,
      source: modelFile.source,
      model,
      hyperparameters: h,
      runDir,
      dataDir: data.source,
      nproc,
      python,
      netcVersion,
      signal: controller.signal,
      env: process.env,
      observer: {
        epochStart: (epoch, epochs, batches, startBatch) => progress.start(epoch, epochs, batches, startBatch),
        batchEnd: (_epoch, sums) => progress.update(sums),
        epochEnd: (record) => {
          progress.finish();
          io.out(`${formatEpochLine(record, h.epochs, torchBackendName)}\n`);
        },
      },
    });
  } finally {
    progress.finish();
    process.off('SIGINT', onSigint);
  }
  if (outcome.status === 'interrupted') {
    io.out(`stopped; ${outcome.checkpoint !== null ? `the last checkpoint is ${outcome.checkpoint}` : 'no epoch had completed'}\n`);
    return interruptedExit;
  }
  const last = outcome.history[outcome.history.length - 1];
  if (last === undefined) throw new Error('internal: a completed run has at least one epoch');
  io.out(formatFinalLines(last, outcome.examplesPerSec, `${nproc} PyTorch process${nproc === 1 ? '' : 'es'} (torch ${python.torchVersion})`));
  io.out(`run directory: ${runDir}\n`);
  io.out(`checkpoint:    ${outcome.checkpoint} (epoch ${outcome.history.length})\n`);
  io.out(`pytorch:       ${runDir}/pytorch (model.py, train.py, trained/weights.pt)\n`);
  if (outcome.curves) io.out(`curves:        ${outcome.curves.svg}\n`);
  return 0;
}
