import { join, resolve } from 'node:path';
import { bundlePlayground } from './bundle.js';

// `npm run build:playground`: the page into dist/playground/static, where `netc playground` serves it from.
const outDir = resolve(process.argv[2] ?? join('dist', 'playground', 'static'));
const files = await bundlePlayground(outDir);
process.stdout.write(`playground: ${files.length} files in ${outDir}\n`);
