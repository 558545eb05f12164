import { readFileSync } from 'node:fs';

/** netc's version, from package.json (written into exported files). */
export const netcVersion: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
