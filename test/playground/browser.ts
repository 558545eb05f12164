import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

// The real browser for the page tests: Debian's chromium (CI installs it in .ci/run), driven by puppeteer-core,
// which downloads nothing. Missing chromium fails the tests with this message: a page test never skips.

/** Where chromium is looked for: $CHROMIUM_PATH, then Debian's and other common places. */
export const chromiumCandidates = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].filter((p): p is string => p !== undefined && p !== '');

/** The chromium executable, or an Error that says how to get one. */
export function findChromium(): string {
  const found = chromiumCandidates.find((path) => existsSync(path));
  if (found === undefined) {
    throw new Error(
      `No chromium found (looked at ${chromiumCandidates.join(', ')}). The playground and diagram tests need a real ` +
        'browser: `sudo apt-get install chromium` (as .ci/run does), or set CHROMIUM_PATH.',
    );
  }
  return found;
}

/** A headless chromium; `--no-sandbox` because tests run as root in containers. */
export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: findChromium(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
}
