#!/usr/bin/env node
// The installed entry point: the compiled CLI lives in dist/ (built by `npm ci` through `prepare`). The front door
// is one bundled file (dist/cli/main.bundle.js, `npm run build:cli`) so that `netc check` starts quickly; a build
// without it (tsc only) runs the unbundled dist/cli/main.js.
const bundle = new URL('../dist/cli/main.bundle.js', import.meta.url);
const { main } = await import(bundle.href).catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('main.bundle.js')) return import('../dist/cli/main.js');
  throw error;
});

// `netc summary big.net | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
