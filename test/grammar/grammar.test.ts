import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { createNetLexer } from '../../src/syntax/lexer.js';
import { NetParser, SyntaxMessages } from '../../src/syntax/parser.js';
import { printEbnf, printRailroad } from '../../src/syntax/printGrammar.js';

const grammarFile = (name: string): string => readFileSync(fileURLToPath(new URL(`../../grammar/${name}`, import.meta.url)), 'utf8');

describe('grammar files are printed from the parser', () => {
  test('grammar/netc.ebnf is what `npm run grammar` prints (run it after changing the parser)', () => {
    expect(grammarFile('netc.ebnf')).toBe(printEbnf());
  });

  test('grammar/railroad.html is what `npm run grammar` prints', () => {
    expect(grammarFile('railroad.html')).toBe(printRailroad());
  });

  test('the EBNF has a rule for every parser rule and every token', () => {
    const ebnf = printEbnf();
    const rules = Object.keys(new NetParser(new SyntaxMessages()).getGAstProductions());
    expect(rules).toEqual([
      'file',
      'statement',
      'modelStatement',
      'inputStatement',
      'trainStatement',
      'defStatement',
      'budgetStatement',
      'parameters',
      'parameter',
      'pipeline',
      'stage',
      'expectation',
      'layer',
      'blockUse',
      'blockArgument',
      'group',
      'residual',
      'repetition',
      'argument',
      'keyValue',
      'value',
    ]);
    for (const rule of rules) expect(ebnf).toMatch(new RegExp(`^${rule}\\s+= `, 'm'));
    const tokens = ['NEWLINE', 'WHITESPACE', 'COMMENT', '"|"', '"="', '","', '"("', '")"', '"{"', '"}"', '"model"', '"input"', '"train"', '"def"', '"residual"', '"expect"', '"budget"', '"<="'];
    for (const token of [...tokens, 'REPEAT', '"x"', '"proj"', 'SHORT_OPTION', 'DIMS', 'COUNT', 'NUMBER_LITERAL', 'MALFORMED_NUMBER', 'IDENTIFIER', 'NUMBER']) {
      expect(ebnf).toContain(`\n${token} = `);
    }
  });

  test('the productions read as the language describes them', () => {
    const ebnf = printEbnf();
    expect(ebnf).toContain('file = { NEWLINE | statement NEWLINE } ;');
    expect(ebnf).toContain('inputStatement = "input" ( NUMBER | DIMS ) ;');
    expect(ebnf).toContain('pipeline = stage { "|" stage } ;');
    expect(ebnf).toContain('keyValue = IDENTIFIER "=" value ;');
    expect(ebnf).toContain('defStatement = "def" IDENTIFIER [ parameters ] "=" pipeline ;');
    expect(ebnf).toContain('parameters = "(" [ parameter { "," parameter } ] ")" ;');
    expect(ebnf).toContain('stage\n    = expectation\n    | ( blockUse | layer | group | residual ) [ repetition ]\n    ;');
    expect(ebnf).toContain('expectation = "expect" ( NUMBER | DIMS ) ;');
    expect(ebnf).toContain('budgetStatement = "budget" IDENTIFIER "<=" ( NUMBER | COUNT ) ;');
    expect(ebnf).toContain('residual = "residual" [ "proj" ] "{" pipeline "}" ;');
    expect(ebnf).toMatch(/repetition\n {4}= REPEAT\n {4}\| "x" \( NUMBER \| IDENTIFIER \)\n {4};/);
  });

  test('the words that are also names say so', () => {
    const ebnf = printEbnf();
    for (const word of ['"x"', '"proj"']) {
      expect(ebnf).toMatch(new RegExp(`\\(\\* also counts as IDENTIFIER[^\\n]*\\*\\)\\n${word} = `));
    }
  });
});

describe('the definitions pass chevrotain validation', () => {
  // The shared instances skip validation to start faster; these build them with it.
  test('the lexer has no unreachable or conflicting token', () => {
    expect(() => createNetLexer({ validate: true })).not.toThrow();
  });

  test('the grammar has no ambiguity or left recursion', () => {
    expect(() => new NetParser(new SyntaxMessages(), { validate: true })).not.toThrow();
  });
});
