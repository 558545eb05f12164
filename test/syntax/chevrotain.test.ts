import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

// The front end imports `#chevrotain` (package.json `imports`). In Node that must be chevrotain's single-file
// build, which loads in a few milliseconds; the package entry loads lodash-es as hundreds of modules, a third of a
// second at every start of `netc check`. A browser bundler takes the package entry.

const resolveIn = (conditions: string[]): string =>
  execFileSync(process.execPath, [...conditions.map((c) => `--conditions=${c}`), '--input-type=module', '-e', "console.log(import.meta.resolve('#chevrotain'))"], {
    cwd: root,
    encoding: 'utf8',
  }).trim();

test('Node resolves #chevrotain to the single-file build that npm run build copies, a browser to the package', () => {
  expect(resolveIn([])).toMatch(/\/dist\/vendor\/chevrotain\.mjs$/);
  expect(resolveIn(['browser'])).toMatch(/\/node_modules\/chevrotain\/lib\/src\/api\.js$/);
});

test('the copy in dist/vendor is the installed chevrotain (run `npm run build` after updating it)', () => {
  const installed = join(dirname(createRequire(import.meta.url).resolve('chevrotain')), '../chevrotain.mjs');
  const strip = (text: string): string => text.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  expect(strip(readFileSync(join(root, 'dist/vendor/chevrotain.mjs'), 'utf8')) === strip(readFileSync(installed, 'utf8'))).toBe(true);
});
