/**
 * Moving state dicts between netc and PyTorch: netc writes a manifest and raw float32 bytes, a short Python script
 * turns them into `weights.pt` (checked by loading it into the export's own Net); train.py writes the same pair
 * beside its `weights.pt` for netc to read back. No pickle is written or read by hand.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetcError } from '../diagnostics/NetcError.js';
import { pythonErrorTail, runPython, type TorchPython } from './python.js';
import type { NamedArray, StateEntry } from './stateDict.js';

interface ManifestEntry {
  readonly key: string;
  readonly shape: readonly number[];
  readonly dtype?: 'float32' | 'int64';
  /** Byte offset in the .bin file. */
  readonly offset: number;
  /** Number of values. */
  readonly size: number;
}

/** Writes `NAME.json` (the manifest) and `NAME.bin` (float32, little-endian) into `dir`. */
export function writeTensorBundle(dir: string, name: string, entries: readonly StateEntry[]): void {
  const manifest: ManifestEntry[] = [];
  let offset = 0;
  for (const e of entries) {
    manifest.push({ key: e.key, shape: e.shape, dtype: e.dtype, offset, size: e.values.length });
    offset += e.values.length * 4;
  }
  const bytes = new Uint8Array(offset);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const e of entries) for (const v of e.values) (view.setFloat32(at, v, true), (at += 4));
  writeFileSync(join(dir, `${name}.bin`), bytes);
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ entries: manifest }));
}

/** Reads a bundle train.py wrote (`weights.json`, `weights.bin`); a torn or foreign pair is NN4103. */
export function readTensorBundle(dir: string, name = 'weights'): NamedArray[] {
  const fail = (why: string): never => {
    throw new NetcError('NN4103', `Cannot read the weights PyTorch saved in ${dir}: ${why}.`);
  };
  let manifest: { entries?: ManifestEntry[] };
  let bytes: Buffer;
  try {
    manifest = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { entries?: ManifestEntry[] };
    bytes = readFileSync(join(dir, `${name}.bin`));
  } catch (error) {
    return fail((error as Error).message);
  }
  if (!Array.isArray(manifest.entries)) return fail(`${name}.json has no entries`);
  return manifest.entries.map((e) => {
    if (e.offset + e.size * 4 > bytes.length) fail(`${name}.bin is shorter than ${name}.json says`);
    const values = new Float32Array(e.size);
    for (let i = 0; i < e.size; i++) values[i] = bytes.readFloatLE(e.offset + i * 4);
    return { name: e.key, shape: e.shape, values };
  });
}

const saveScript = String.raw`
import collections, importlib.util, json, os, sys
import torch
for i, job in enumerate(json.load(open(sys.argv[1]))):
    entries = json.load(open(job['manifest']))['entries']
    data = open(job['data'], 'rb').read()
    state = collections.OrderedDict()
    for e in entries:
        raw = bytearray(data[e['offset']:e['offset'] + 4 * e['size']])
        t = torch.frombuffer(raw, dtype=torch.float32).clone().reshape(e['shape'])
        state[e['key']] = t.to(torch.int64) if e.get('dtype') == 'int64' else t
    spec = importlib.util.spec_from_file_location('netc_export_%d' % i, os.path.join(job['modelDir'], 'model.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.Net().load_state_dict(state)
    torch.save(state, job['out'] + '.writing')
    os.replace(job['out'] + '.writing', job['out'])
`;

/** One `weights.pt` to write: the directory holding its `model.py`, and the state dict. */
export interface WeightsJob {
  readonly dir: string;
  readonly entries: readonly StateEntry[];
}

/**
 * Writes `weights.pt` into each job's directory, which already holds the export's `model.py`: the state dict is
 * loaded into that Net (strictly: every key, every shape) before it is saved, and replaces any old file only when
 * complete. One Python process serves every job (importing torch takes seconds).
 */
export function saveWeightsPt(python: TorchPython, jobs: readonly WeightsJob[]): string[] {
  if (jobs.length === 0) return [];
  const scratch = mkdtempSync(join(jobs[0]!.dir, '.netc-weights-'));
  try {
    const spec = jobs.map((job, i) => {
      writeTensorBundle(scratch, `state-${i}`, job.entries);
      const manifest = join(scratch, `state-${i}.json`);
      return { manifest, data: join(scratch, `state-${i}.bin`), modelDir: job.dir, out: join(job.dir, 'weights.pt') };
    });
    writeFileSync(join(scratch, 'jobs.json'), JSON.stringify(spec));
    const result = runPython(python, saveScript, [join(scratch, 'jobs.json')]);
    if (result.status !== 0) {
      throw new NetcError('NN4101', `PyTorch (${python.path}) could not save weights.pt:\n${pythonErrorTail(result.stderr)}`);
    }
    return spec.map((s) => s.out);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
