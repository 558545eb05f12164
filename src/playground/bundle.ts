import { build, type Plugin } from 'esbuild';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diagramCss, diagramScript } from '../diagram/html.js';

// Builds the playground's static files with esbuild: the page script (the front end, the diagram renderer,
// CodeMirror, TensorFlow.js and netc's compiler and training step), the service worker, the page and its styles.
// Run at `npm run build` (dist/playground/static) so that an installed netc serves it without esbuild.

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The wasm backend's three builds: plain, SIMD, and SIMD with threads (used where the page is cross-origin isolated). */
const wasmFiles = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const root = resolve(here, '..', '..');
const page = join(root, 'src', 'playground', 'page');

/**
 * The Node-only modules the page must not load, and the browser files that stand in for them. (The front end needs
 * none: `#chevrotain` resolves to the package's browser entry under esbuild's `browser` condition.)
 */
const browserStandIns: Readonly<Record<string, string>> = {
  [join(root, 'src', 'backend', 'simd', 'module.ts')]: join(page, 'simdModule.ts'),
  [join(root, 'src', 'backend', 'native', 'native.ts')]: join(page, 'nativeModule.ts'),
};

/** Resolves imports of the Node-only module to its browser stand-in; fails the build on any `node:` import. */
const browserPlugin: Plugin = {
  name: 'netc-browser',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({
      errors: [{ text: `${args.path} imported by ${args.importer}: the playground page runs in a browser` }],
    }));
    b.onResolve({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith('.')) return undefined;
      const target = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      const standIn = browserStandIns[target];
      if (standIn !== undefined) return { path: standIn };
      return undefined;
    });
  },
};

/** Reads every `.net` file of models/: the page's Examples menu. */
async function examples(): Promise<Record<string, string>> {
  const dir = join(root, 'models');
  const out: Record<string, string> = {};
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.net')).sort()) {
    out[file.slice(0, -'.net'.length)] = await readFile(join(dir, file), 'utf8');
  }
  return out;
}

/** Writes the playground's static files into `outDir` (created when absent); returns their names. */
export async function bundlePlayground(outDir: string, options: { minify?: boolean } = {}): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const minify = options.minify ?? true;
  const common = {
    bundle: true,
    minify,
    target: 'es2022',
    platform: 'browser' as const,
    logLevel: 'silent' as const,
    legalComments: 'none' as const,
  };
  const app = await build({
    ...common,
    entryPoints: [join(page, 'main.ts')],
    outfile: join(outDir, 'app.js'),
    format: 'esm',
    plugins: [browserPlugin],
    // Libraries read process.env.NODE_ENV; the page has no process.
    define: { NETC_EXAMPLES: JSON.stringify(await examples()), 'process.env': JSON.stringify({ NODE_ENV: 'production' }) },
    metafile: true,
  });
  const version = Object.values(app.metafile.outputs).reduce((n, output) => n + output.bytes, 0).toString(36);
  await build({
    ...common,
    entryPoints: [join(page, 'sw.ts')],
    outfile: join(outDir, 'sw.js'),
    format: 'iife',
    define: { NETC_CACHE: JSON.stringify(`netc-playground-${version}`) },
  });
  await writeFile(join(outDir, 'diagram.js'), diagramScript);
  await writeFile(join(outDir, 'app.css'), `${await readFile(join(page, 'app.css'), 'utf8')}${diagramCss}`);
  await writeFile(join(outDir, 'index.html'), await readFile(join(page, 'index.html'), 'utf8'));
  // TensorFlow.js's wasm backend loads one of these at run time (setWasmPaths in train.ts).
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const file of wasmFiles) await copyFile(join(wasmDir, file), join(outDir, file));
  return ['index.html', 'app.js', 'app.css', 'diagram.js', 'sw.js', ...wasmFiles];
}
