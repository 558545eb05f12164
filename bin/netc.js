#!/usr/bin/env node
// The installed entry point: the compiled CLI lives in dist/ (built by `npm ci` through `prepare`).
import { runCli } from '../dist/cli/run.js';

runCli();
