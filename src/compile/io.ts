import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NetcError } from '../diagnostics/NetcError.js';
import { replaceDirectory } from './atomicWrite.js';
import { encodeModelFiles, modelFileName, weightsFileName } from './modelFiles.js';
import { registerNetcLayers } from './netcLayers.js';

export { modelFileName, weightsFileName } from './modelFiles.js';

/** What `saveModel` wrote. */
export interface SavedModel {
  /** The directory, resolved to an absolute path. */
  readonly dir: string;
  readonly weightBytes: number;
  /** True when a previous netc output was replaced. */
  readonly replaced: boolean;
}

/**
 * Saves `model` as `dir/model.json` + `dir/weights.bin`, atomically: both files are written into a fresh
 * directory next to `dir` and then renamed into place, so a failure never leaves half a model behind.
 * An empty or missing `dir` is filled; a `dir` that holds exactly a previous netc output (those two files,
 * written by netc) is replaced; anything else is refused with NN4002, never overwritten.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<SavedModel> {
  const target = resolve(dir);
  const previous = await inspectTarget(target, dir);
  const { modelJson, weights } = await encodeModelFiles(model);
  try {
    replaceDirectory(target, { [weightsFileName]: weights, [modelFileName]: modelJson });
  } catch (error) {
    throw writeError(dir, error);
  }
  return { dir: target, weightBytes: weights.byteLength, replaced: previous === 'netc-output' };
}

/** Loads a model that `saveModel` (or any tfjs layers-format writer) put in `dir`, netc's layer classes included. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  registerNetcLayers();
  return tf.loadLayersModel(fileLoadHandler(dir));
}

/**
 * A tfjs load handler for `dir/model.json` and the weight files its manifest names: what `file://` is with
 * tfjs-node, which netc cannot count on. Unreadable or malformed files are NN4003.
 */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const modelPath = join(dir, modelFileName);
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(await readFile(modelPath, 'utf8')) as tf.io.ModelJSON;
      } catch (error) {
        throw readError(modelPath, error);
      }
      if (typeof modelJson !== 'object' || modelJson === null || !modelJson.modelTopology) {
        throw new NetcError('NN4003', `${modelPath} is not a tfjs layers model (it has no modelTopology).`);
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            const file = join(dir, path);
            try {
              const bytes = await readFile(file);
              buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
            } catch (error) {
              throw readError(file, error);
            }
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

type TargetState = 'absent' | 'empty' | 'netc-output';

/** What is at the output path now; refuses a file, or a directory holding anything but a previous netc output. */
async function inspectTarget(target: string, shown: string): Promise<TargetState> {
  if (!existsSync(target)) return 'absent';
  const info = await stat(target);
  if (!info.isDirectory()) {
    throw new NetcError('NN4002', `${shown} exists and is not a directory; choose another output directory.`);
  }
  const entries = await readdir(target);
  if (entries.length === 0) return 'empty';
  const ours = entries.every((e) => e === modelFileName || e === weightsFileName) && (await isNetcModel(target));
  if (!ours) {
    throw new NetcError(
      'NN4002',
      `${shown} is not empty and does not hold a previous \`netc compile\` output (model.json + weights.bin); ` +
        'choose a new or empty directory, or remove it first.',
    );
  }
  return 'netc-output';
}

/** True when `dir/model.json` was written by netc (it carries netc's node map). */
async function isNetcModel(dir: string): Promise<boolean> {
  try {
    const json = JSON.parse(await readFile(join(dir, modelFileName), 'utf8')) as tf.io.ModelJSON;
    return json.userDefinedMetadata?.['netc'] !== undefined;
  } catch {
    return false;
  }
}

function writeError(dir: string, error: unknown): NetcError {
  return new NetcError('NN4002', `cannot write the model to ${dir}: ${describe(error)}.`);
}

function readError(file: string, error: unknown): NetcError {
  return new NetcError('NN4003', `cannot read ${file}: ${describe(error)}.`);
}

/** A short reason without a stack: `no such file`, `permission denied`, or the error's own message. */
function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'no space left on the device';
  return error instanceof Error ? error.message : String(error);
}
