// `netc` as a process of its own, run from the TypeScript sources (bin/netc.js runs the same runCli from dist/):
// node --import tsx test/cli/netcEntry.ts ARGS...
import { runCli } from '../../src/cli/run.js';

runCli();
