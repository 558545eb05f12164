import type { CheckedLayer } from '../ir/model.js';
import { nodeLayerName, type NetcMetadata } from '../compile/compile.js';
import { NetcError } from '../diagnostics/NetcError.js';
import { analyze } from '../frontend/analyze.js';
import { loadCheckpoint } from './checkpoint.js';

/** One batch-norm layer's learned and running values (the seed's `net[1].gamma`, `net[1].beta`). */
export interface BatchNormValues {
  /** The layer's number in `netc summary` (1-based, every layer counted). */
  readonly index: number;
  /** Where the `bn` is written in the run's .net source. */
  readonly line: number;
  readonly column: number;
  /** `BatchNorm1d` or `BatchNorm2d`. */
  readonly variant: string;
  /** `builtin` (tfjs's layer) or `scratch` (netc's), after any `--bn` override of the run. */
  readonly impl: string;
  /** The tfjs layer holding the values. */
  readonly layer: string;
  /** Features (BatchNorm1d) or channels (BatchNorm2d). */
  readonly features: number;
  readonly gamma: number[];
  readonly beta: number[];
  readonly movingMean: number[];
  readonly movingVariance: number[];
}

/** A run's batch-norm values at its latest checkpoint. */
export interface RunInspection {
  readonly model: string;
  /** The .net file the run was started from. */
  readonly file: string;
  readonly checkpoint: string;
  readonly epochsDone: number;
  readonly epochs: number;
  /** Batches trained of epoch `epochsDone + 1` when the run was stopped inside it (Ctrl-C), else null. */
  readonly batchesIntoNextEpoch: number | null;
  readonly layers: readonly BatchNormValues[];
  /** Every layer of the model by summary number, so that a `--layer` mistake can be explained. */
  readonly allLayers: readonly { readonly index: number; readonly op: string; readonly line: number }[];
}

/**
 * Reads a run directory's latest checkpoint and returns the gamma, beta, moving mean and moving variance of each
 * batch-norm layer, identified by its summary number and source line. The model is not rebuilt: the values are read
 * straight from the saved weights (no tensor is made) by the node-to-layer map that the compiler stored in model.json.
 */
export function inspectRun(runDir: string): RunInspection {
  const checkpoint = loadCheckpoint(runDir, 'inspect');
  const { state, source } = checkpoint;
  const weights = new Map(checkpoint.weights.map((w) => [w.name, w.values]));
  const checked = analyze(source, state.file);
  if (checked.model === null) {
    throw new NetcError('NN5005', `Cannot inspect ${runDir}: the model.net saved in ${checkpoint.dir} no longer checks.`);
  }
  const model = checked.model;
  const metadata = (checkpoint.metadata as Partial<NetcMetadata> | null)?.netc;
  const layerOf = (layer: CheckedLayer): string =>
    metadata?.nodes.find((node) => node.index === layer.index)?.output ?? nodeLayerName(layer.op, layer.index);

  const bnLayers = model.layers.filter((layer) => layer.op === 'bn');
  const layers = bnLayers.map((layer): BatchNormValues => {
    const name = layerOf(layer);
    const read = (weight: string): number[] => {
      const saved = weights.get(`${name}/${weight}`);
      if (saved === undefined) {
        throw new NetcError('NN5005', `Cannot inspect ${runDir}: the checkpoint has no '${name}/${weight}' for the bn at line ${layer.span.line}.`);
      }
      return Array.from(saved);
    };
    const gamma = read('gamma');
    return {
      index: layer.index + 1,
      line: layer.span.line,
      column: layer.span.column,
      variant: layer.variant ?? 'BatchNorm',
      impl: state.hyperparameters.bn ?? String(layer.args['impl'] ?? 'builtin'),
      layer: name,
      features: gamma.length,
      gamma,
      beta: read('beta'),
      movingMean: read('moving_mean'),
      movingVariance: read('moving_variance'),
    };
  });
  return {
    model: state.model,
    file: state.file,
    checkpoint: checkpoint.dir,
    epochsDone: state.epochsDone,
    epochs: state.hyperparameters.epochs,
    batchesIntoNextEpoch: state.partial !== null && state.partial.batchesDone > 0 ? state.partial.batchesDone : null,
    layers,
    allLayers: model.layers.map((layer) => ({ index: layer.index + 1, op: layer.op, line: layer.span.line })),
  };
}
