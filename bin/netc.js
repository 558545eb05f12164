#!/usr/bin/env node
// The installed entry point: the compiled CLI lives in dist/ (built by `npm ci` through `prepare`). The front door
// is one bundled file (dist/cli/run.bundle.js, `npm run build:cli`) so that `netc check` starts quickly; a build
// without it (tsc only) runs the unbundled dist/cli/run.js.
const bundle = new URL('../dist/cli/run.bundle.js', import.meta.url);
const { runCli } = await import(bundle.href).catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('run.bundle.js')) return import('../dist/cli/run.js');
  throw error;
});

runCli();
