import type { Argv } from 'yargs';
import type { EvalRuntime, Evaluation } from '../../export/evaluate.js';
import { NetcError } from '../../diagnostics/NetcError.js';
import type { Command } from '../Command.js';
import { fastPathFromEnvironment } from '../flags.js';
import { CliError } from '../io.js';

interface EvalArgs {
  readonly dir: string;
  readonly runtime?: EvalRuntime;
  readonly format: 'text' | 'json';
  readonly data?: string;
  readonly download: boolean;
  readonly python?: string;
}

/** `netc eval RUN_OR_DIR`: test accuracy, per-class accuracy and confusion matrix of a run or an export. */
export const evalCommand: Command<EvalArgs> = {
  command: 'eval <dir>',
  describe: 'Test accuracy, per-class accuracy and confusion matrix of a trained run or an export (PyTorch, ONNX, tfjs)',
  builder: (yargs: Argv) =>
    yargs
      .positional('dir', { type: 'string', demandOption: true, describe: 'a run directory, or a directory netc export wrote' })
      .option('runtime', {
        choices: ['netc', 'pytorch', 'onnx', 'tfjs'] as const,
        describe: 'Evaluate with this one only (default: every one the directory holds)',
      })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' })
      .option('data', { type: 'string', describe: 'Directory with the four Fashion-MNIST .gz files' })
      .option('download', { type: 'boolean', default: true, describe: 'Download Fashion-MNIST when it is not found' })
      .option('python', { type: 'string', describe: 'python3 with PyTorch, for a PyTorch export (default: $NETC_PYTHON, python3 on PATH, /usr/bin/python3)' })
      .example('netc eval runs/lenet_bn-20250101-120000', "the run's latest checkpoint, evaluated by netc")
      .example('netc eval out/export', 'every export in the directory: model.py + weights.pt by PyTorch, model.onnx by onnxruntime')
      .epilogue('Exit status: 0 evaluated, 1 not a run or export (NN4104) or a model error, 2 usage.') as unknown as Argv<EvalArgs>,

  async run(args, io) {
    const tf = await import('@tensorflow/tfjs');
    tf.env().set('PROD', true);
    const { predict, runtimesIn, scorePredictions } = await import('../../export/evaluate.js');
    const { findTorchPython } = await import('../../export/python.js');
    const { loadFashionMnist } = await import('../../data/fashionMnist.js');
    const found = runtimesIn(args.dir);
    if (found.length === 0) {
      throw new NetcError(
        'NN4104',
        `${args.dir} holds neither a run (checkpoint/state.json) nor an export (model.py + weights.pt + train.py, ` +
          'model.onnx, or model.json + weights.bin); give a directory made by `netc train` or `netc export`.',
      );
    }
    if (args.runtime !== undefined && !found.includes(args.runtime)) {
      throw new CliError(`--runtime ${args.runtime}: ${args.dir} holds no such model; it has ${found.join(', ')}.`);
    }
    const runtimes = args.runtime !== undefined ? [args.runtime] : found;
    if (runtimes.includes('netc') || runtimes.includes('tfjs')) {
      // The fastest TensorFlow.js backend here, as `netc train` picks it (pure-JavaScript cpu is many times slower).
      const { selectBackend } = await import('../../backend/select.js');
      await selectBackend('auto', { fastPath: fastPathFromEnvironment(process.env) });
    }
    const data = await loadFashionMnist({ ...(args.data !== undefined ? { dataDir: args.data } : {}), download: args.download });
    const test = { ...data.test, dir: data.source, classNames: data.classNames };
    let python: ReturnType<typeof findTorchPython> | null = null;
    const findPython = (): ReturnType<typeof findTorchPython> =>
      (python ??= findTorchPython({ explicit: args.python ?? process.env['NETC_PYTHON'], path: process.env['PATH'] }));
    const results: Evaluation[] = [];
    for (const runtime of runtimes) {
      const predicted = await predict(args.dir, runtime, test, findPython);
      results.push(scorePredictions(runtime, predicted, test.labels, data.classNames.length));
    }
    if (args.format === 'json') {
      io.out(`${JSON.stringify({ dir: args.dir, classes: data.classNames, results }, null, 2)}\n`);
      return 0;
    }
    io.out(`${args.dir}: ${test.labels.length.toLocaleString('en-US')} test images from ${data.source}\n`);
    for (const result of results) io.out(`\n${formatEvaluation(result, data.classNames)}`);
    return 0;
  },
};

const runtimeNames: Readonly<Record<EvalRuntime, string>> = {
  netc: 'netc (TensorFlow.js, the run\'s checkpoint)',
  pytorch: 'PyTorch (model.py + weights.pt)',
  onnx: 'ONNX (model.onnx, onnxruntime)',
  tfjs: 'TensorFlow.js (model.json)',
};

/** The text report of one evaluation: accuracy, per-class accuracy, confusion matrix (rows true, columns predicted). */
export function formatEvaluation(result: Evaluation, classNames: readonly string[]): string {
  const lines = [`${runtimeNames[result.runtime]}: test acc ${result.accuracy.toFixed(4)} (${Math.round(result.accuracy * result.count)} of ${result.count})`];
  const width = Math.max(...classNames.map((n) => n.length));
  lines.push('per-class accuracy:');
  result.perClass.forEach((acc, c) => lines.push(`  ${String(c).padStart(2)} ${classNames[c]!.padEnd(width)}  ${acc.toFixed(3)}`));
  lines.push('confusion matrix (rows: true class, columns: predicted):');
  const cell = Math.max(4, ...result.confusion.flat().map((n) => String(n).length + 1));
  lines.push(`  ${' '.repeat(3 + width)}${result.confusion.map((_, c) => String(c).padStart(cell)).join('')}`);
  result.confusion.forEach((row, c) =>
    lines.push(`  ${String(c).padStart(2)} ${classNames[c]!.padEnd(width)}${row.map((n) => String(n).padStart(cell)).join('')}`),
  );
  return `${lines.join('\n')}\n`;
}
