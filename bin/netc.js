#!/usr/bin/env node
// The installed entry point: the compiled CLI lives in dist/ (built by `npm ci` through `prepare`). The front door
// is one bundled script (dist/cli/run.bundle.cjs, `npm run build:cli`) loaded with a V8 code cache
// (dist/cli/frontDoor.js) so that `netc check` starts quickly; a build without it (tsc only) runs the unbundled
// dist/cli/run.js.
const { loadFrontDoor } = await import('../dist/cli/frontDoor.js');
const runCli = loadFrontDoor() ?? (await import('../dist/cli/run.js')).runCli;

runCli();
