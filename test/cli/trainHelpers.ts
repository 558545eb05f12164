/** Shared by the train and inspect CLI tests: a buffering CliIO, a tiny model, synthetic data, a run of `netc`. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { writeIdxFixture } from '../data/fixtures.js';

/** What one `netc` invocation printed and returned. */
export interface RunResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `netc ARGS` in-process with buffered output; `onOut` sees stdout as it is written (to send a Ctrl-C). */
export async function netc(args: readonly string[], onOut?: (text: string) => void): Promise<RunResult> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (text) => {
      out += text;
      onOut?.(text);
    },
    err: (text) => void (err += text),
    isTTY: false,
  };
  const code = await main(args, io);
  return { code, out, err };
}

/**
 * A LeNet-shaped model small enough for the cpu backend in a test: a strided convolution with BatchNorm2d, a dense
 * layer with BatchNorm1d, ten outputs. The summary numbers its bn layers 2 and 6.
 */
export const tinyModel = `model tiny
input 1x28x28
train epochs=3 batch=32 lr=0.5
conv 4 k5 s3 | bn | relu
flatten
dense 16 | bn | relu
dense 10
`;

/** A scratch directory for one test file, with a `.net` file and synthetic Fashion-MNIST files in `data/`. */
export function workspace(source = tinyModel, counts = { train: 320, test: 100 }): { dir: string; net: string; data: string } {
  const dir = mkdtempSync(join(tmpdir(), 'netc-train-'));
  const net = join(dir, 'tiny.net');
  writeFileSync(net, source);
  const data = join(dir, 'data');
  writeIdxFixture(data, counts);
  return { dir, net, data };
}

/** The figures of every `epoch i/n: ...` line. */
export function epochLines(out: string): { epoch: number; loss: number; trainAcc: number; testAcc: number }[] {
  const pattern =
    /^epoch (\d+)\/\d+: loss (\d+\.\d{3}), train acc (\d\.\d{3}), (?:val acc \d\.\d{3}, )?test acc (\d\.\d{3}), (?:lr \S+, )?[\d,]+ examples\/sec on \S+(?:, [\d.]+ s)?$/gm;
  return [...out.matchAll(pattern)].map((m) => ({
    epoch: Number(m[1]),
    loss: Number(m[2]),
    trainAcc: Number(m[3]),
    testAcc: Number(m[4]),
  }));
}
