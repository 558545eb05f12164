// Cold start of `netc check` and `netc summary` as a ratio to a bare `node -e 0`: each command a fresh process,
// alternated with the bare start so that a busy machine slows both alike; the median of each. Part of `npm run bench`
// (`--cold-only` runs just this). The commands run from bin/netc.js: the bundled front door that users get.

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One command's median wall-clock start-to-exit time and its ratio to `node -e 0`'s. */
export interface ColdStart {
  readonly command: string;
  readonly medianMs: number;
  readonly ratio: number;
}

const median = (values: readonly number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

function timeOnce(args: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

/** Times `node -e 0` and each command `runs` times, interleaved; returns the bare start first. */
export function measureColdStart(runs = 10): ColdStart[] {
  const commands: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['netc check models/lenet-bn.net', ['bin/netc.js', 'check', 'models/lenet-bn.net']],
    ['netc summary models/resnet-mini.net', ['bin/netc.js', 'summary', 'models/resnet-mini.net']],
  ];
  const times = commands.map(() => [] as number[]);
  for (const [, args] of commands) timeOnce(args);
  for (let r = 0; r < runs; r++) commands.forEach(([, args], i) => times[i]!.push(timeOnce(args)));
  const bare = median(times[0]!);
  return commands.map(([command], i) => ({ command, medianMs: median(times[i]!), ratio: median(times[i]!) / bare }));
}

/** Prints the cold-start table. */
export function printColdStart(runs = 10): void {
  const before = loadavg()[0]!;
  const results = measureColdStart(runs);
  console.log(`cold start, median of ${runs} interleaved runs (load average ${before.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after):`);
  for (const r of results) console.log(`  ${r.command.padEnd(38)} ${r.medianMs.toFixed(0).padStart(5)} ms  ${r.ratio.toFixed(2)}x node -e 0`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) printColdStart(Number(process.argv[2] ?? 10));
