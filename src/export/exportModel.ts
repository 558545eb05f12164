/**
 * `netc export`: a checked model and its weights written as a PyTorch project (model.py, weights.pt, train.py), an
 * ONNX model, or a plain TensorFlow.js model. Files are written into a staging directory inside DIR and moved into
 * place only once all of them are complete, so a failure leaves no half-written export.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckedLayer, CheckedModel } from '../ir/model.js';
import { NetcError } from '../diagnostics/NetcError.js';
import { onnxModel, onnxUnsupported } from './onnx/onnxGraph.js';
import { encodeOnnxModel } from './onnx/onnxWriter.js';
import type { TorchPython } from './python.js';
import { pytorchModelSource, pytorchUnsupported } from './pytorchModel.js';
import { pytorchTrainSource, type TrainRecipe } from './pytorchTrain.js';
import { toStateDict, WeightsMismatch, type NamedArray, type StateEntry } from './stateDict.js';
import { saveWeightsPt } from './torchWeights.js';

/** The formats `netc export --to` writes. */
export const exportTargets = ['pytorch', 'onnx', 'tfjs'] as const;
/** One of `exportTargets`. */
export type ExportTarget = (typeof exportTargets)[number];

/** What is exported: the model, its weights (netc's names and layouts) and its recipe. */
export interface ExportInput {
  readonly model: CheckedModel;
  readonly weights: readonly NamedArray[];
  /** A run's `--bn` override, or null. */
  readonly bn: 'builtin' | 'scratch' | null;
  readonly recipe: TrainRecipe;
  /** Where it came from (the .net file or run directory), for docstrings. */
  readonly source: string;
  readonly netcVersion: string;
}

/** Everything an export needs besides its input. */
export interface ExportOptions {
  /** Finds python3 with torch (only the PyTorch export asks, before it writes anything). */
  readonly python: () => TorchPython;
}

/** The first node the target cannot express, as NN4102 at its line; null when every node has a form. */
export function checkExportable(model: CheckedModel, target: ExportTarget, file: string): NetcError | null {
  const why = (layer: CheckedLayer): string | null => {
    if (target === 'onnx') return onnxUnsupported(layer);
    if (target === 'pytorch') return pytorchUnsupported(layer);
    return null;
  };
  for (const layer of model.layers) {
    const reason = why(layer);
    if (reason !== null) {
      return new NetcError('NN4102', `${file}:${layer.span.line}:${layer.span.column}: cannot export to ${target}: ${reason}.`);
    }
  }
  return null;
}

/** Writes the export into `dir` and returns the paths written. */
export async function exportModel(input: ExportInput, target: ExportTarget, dir: string, options: ExportOptions): Promise<string[]> {
  const refusal = checkExportable(input.model, target, input.source);
  if (refusal !== null) throw refusal;
  if (target === 'tfjs') {
    const { tfjsUnsupported } = await import('./tfjsExport.js');
    for (const layer of input.model.layers) {
      const reason = tfjsUnsupported(layer);
      if (reason !== null) {
        throw new NetcError('NN4102', `${input.source}:${layer.span.line}:${layer.span.column}: cannot export to tfjs: ${reason}.`);
      }
    }
  }
  const python = target === 'pytorch' ? options.python() : null;
  const state = stateOf(input);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new NetcError('NN4002', `Cannot write the export directory ${dir}: ${(error as Error).message}.`);
  }
  const stage = mkdtempSync(join(dir, '.netc-export-'));
  try {
    const names = await writeFiles(input, target, stage, state, python);
    for (const name of names) renameSync(join(stage, name), join(dir, name));
    return names.map((name) => join(dir, name));
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function stateOf(input: ExportInput): StateEntry[] {
  try {
    return toStateDict(input.model, input.weights, input.bn);
  } catch (error) {
    if (error instanceof WeightsMismatch) {
      throw new NetcError('NN4003', `The weights of ${input.source} do not fit its model: ${error.message}.`);
    }
    throw error;
  }
}

async function writeFiles(input: ExportInput, target: ExportTarget, stage: string, state: StateEntry[], python: TorchPython | null): Promise<string[]> {
  const { model } = input;
  switch (target) {
    case 'pytorch': {
      writeFileSync(join(stage, 'model.py'), pytorchModelSource(model, { source: input.source, netcVersion: input.netcVersion, bn: input.bn }));
      writeFileSync(join(stage, 'train.py'), pytorchTrainSource(input.recipe, model.name));
      saveWeightsPt(python!, [{ dir: stage, entries: state }]);
      return ['model.py', 'weights.pt', 'train.py'];
    }
    case 'onnx': {
      const bytes = encodeOnnxModel(onnxModel(model, state, { netcVersion: input.netcVersion, source: input.source }));
      writeFileSync(join(stage, 'model.onnx'), bytes);
      return ['model.onnx'];
    }
    case 'tfjs': {
      const { plainTfjsModel } = await import('./tfjsExport.js');
      const { json, bin } = await plainTfjsModel(model, input.weights);
      writeFileSync(join(stage, 'model.json'), json);
      writeFileSync(join(stage, 'weights.bin'), bin);
      return ['model.json', 'weights.bin'];
    }
  }
}
