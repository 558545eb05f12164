// `npm run build:cli`: bundles the CLI's front door (src/cli/run.ts and main.ts with every command's definition, the front end,
// yargs and chevrotain) into one file, dist/cli/run.bundle.js, which bin/netc.js loads. `netc check` and
// `netc summary` then start from one module instead of about 130, so their cold start is mostly Node's own.
// Every dynamic import (tfjs, compiling, training, the backends: what `compile`, `train` and `inspect` load on use)
// stays a dynamic import of the unbundled module in dist/, so worker threads, the SIMD module and the kernels keep
// their own files and load only when a command needs them.

import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where bin/netc.js looks for the bundle. */
export const bundleFile = join(root, 'dist', 'cli', 'run.bundle.js');

/** Keeps every `import()` out of the bundle: a package stays a package, a file of src/ becomes its build in dist/. */
const lazyImports: Plugin = {
  name: 'netc-lazy-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      if (!args.path.startsWith('.')) return { path: args.path, external: true };
      const source = join(dirname(args.importer), args.path);
      const fromSrc = relative(join(root, 'src'), source);
      if (fromSrc.startsWith('..')) throw new Error(`${args.importer}: a lazy import outside src/ (${args.path})`);
      const target = relative(dirname(bundleFile), join(root, 'dist', fromSrc)).split(sep).join('/');
      return { path: target.startsWith('.') ? target : `./${target}`, external: true };
    });
  },
};

/** Builds dist/cli/run.bundle.js and returns the modules it imports at load time (Node's built-ins only). */
export async function bundleFrontDoor(): Promise<string[]> {
  const result = await build({
    entryPoints: [join(root, 'src', 'cli', 'run.ts')],
    outfile: bundleFile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    // Class names stay readable in the rare stack trace a user reports.
    keepNames: true,
    metafile: true,
    plugins: [lazyImports],
    logLevel: 'warning',
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  const eager = output.imports.filter((i) => i.kind !== 'dynamic-import').map((i) => i.path);
  const foreign = eager.filter((p) => !/^(node:)?[a-z_/]+$/.test(p) || p.startsWith('.'));
  if (foreign.length > 0) throw new Error(`the CLI bundle would load ${foreign.join(', ')} at start-up`);
  return eager;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await bundleFrontDoor();
