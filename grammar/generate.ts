// `npm run grammar`: prints grammar/netc.ebnf and grammar/railroad.html from the parser (src/syntax/printGrammar.ts).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printEbnf, printRailroad } from '../src/syntax/printGrammar.js';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
writeFileSync(here('netc.ebnf'), printEbnf());
writeFileSync(here('railroad.html'), printRailroad());
console.log('wrote grammar/netc.ebnf and grammar/railroad.html');
