// `npm run grammar`: prints grammar/netc.ebnf and grammar/railroad.html from the parser (src/syntax/printGrammar.ts),
// and copies the EBNF into docs/LANGUAGE.md, the language reference.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printEbnf, printRailroad, spliceGrammar } from '../src/syntax/printGrammar.js';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
const ebnf = printEbnf();
writeFileSync(here('netc.ebnf'), ebnf);
writeFileSync(here('railroad.html'), printRailroad());
const doc = here('../docs/LANGUAGE.md');
writeFileSync(doc, spliceGrammar(readFileSync(doc, 'utf8'), ebnf));
console.log('wrote grammar/netc.ebnf, grammar/railroad.html and the grammar section of docs/LANGUAGE.md');
