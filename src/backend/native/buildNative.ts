import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * Builds netc's native kernels (the .cc files beside this one) into dist/netc-native.node with the machine's C++
 * compiler against Node's own headers (`npm run build:native`, part of `npm run build`). They are optional: when
 * there is no compiler or no headers the build says so and succeeds, and training uses the wasm kernels.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const sourceDir = join(root, 'src', 'backend', 'native');
const target = join(root, 'dist', 'netc-native.node');

/** Directories that may hold node_api.h: beside this Node, or where npm was told Node's sources are. */
function headerDirectories(): string[] {
  const candidates = [join(dirname(process.execPath), '..', 'include', 'node')];
  const nodedir = process.env.npm_config_nodedir;
  if (nodedir) candidates.push(join(nodedir, 'include', 'node'), join(nodedir, 'src'));
  return candidates.filter((d) => existsSync(join(d, 'node_api.h')));
}

/** The compiler flags for this machine's instruction set: AVX2 with FMA on x86-64 (checked again at load). */
function targetFlags(): string[] | null {
  if (arch() === 'x64') return ['-mavx2', '-mfma'];
  if (arch() === 'arm64') return [];
  return null;
}

function main(): void {
  const skip = (why: string): void => {
    console.log(`netc: native kernels not built (${why}); training uses the wasm kernels.`);
  };
  if (process.env.NETC_NATIVE === '0') return skip('NETC_NATIVE=0');
  const headers = headerDirectories();
  if (headers.length === 0) return skip("Node's headers (node_api.h) were not found");
  const flags = targetFlags();
  if (flags === null) return skip(`no kernels for ${arch()}`);
  const compiler = process.env.CXX ?? 'c++';
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  const args = [
    '-O3', '-std=gnu++17', '-ffp-contract=fast', '-fPIC', '-shared', '-pthread', '-fvisibility=hidden', ...flags,
    ...headers.map((d) => `-I${d}`), ...(platform() === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []),
    '-o', partial, ...readdirSync(sourceDir).filter((f) => f.endsWith('.cc')).sort().map((f) => join(sourceDir, f)),
  ];
  const run = spawnSync(compiler, args, { encoding: 'utf8' });
  if (run.error !== undefined || run.status !== 0) {
    // No stale module from an earlier build either: what runs is what these sources make, or the wasm kernels.
    rmSync(partial, { force: true });
    rmSync(target, { force: true });
    const lines = run.stderr.trim().split('\n');
    const errors = lines.filter((l) => /\berror\b/.test(l));
    const reason = run.error !== undefined ? `${compiler}: ${run.error.message}` : (errors.length > 0 ? errors : lines).slice(0, 3).join(' ');
    return skip(reason);
  }
  renameSync(partial, target);
  console.log(`netc: native kernels built (${target}).`);
}

main();
