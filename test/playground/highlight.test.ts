import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import oniguruma from 'vscode-oniguruma';
import textmate from 'vscode-textmate';
import { beforeAll, describe, expect, test } from 'vitest';
import { scopeClass, tokenScopes } from '../../src/playground/page/highlight.js';

// The playground colours tokens by netc's lexer; editors colour them by grammar/netc.tmLanguage.json. Both must
// agree: every token of every shipped model gets the scope VS Code's engine gives the same characters.

const root = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));
let grammar: textmate.IGrammar;

beforeAll(async () => {
  await oniguruma.loadWASM(readFileSync(createRequire(import.meta.url).resolve('vscode-oniguruma/release/onig.wasm')));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName: string) =>
      scopeName === 'source.netc'
        ? textmate.parseRawGrammar(readFileSync(root('grammar/netc.tmLanguage.json'), 'utf8'), 'netc.tmLanguage.json')
        : null,
  });
  grammar = (await registry.loadGrammar('source.netc'))!;
});

/** The TextMate scopes (innermost last) at each offset of `source`. */
function textmateScopes(source: string): (readonly string[])[] {
  const at: (readonly string[])[] = [];
  let stack = textmate.INITIAL;
  for (const line of source.split('\n')) {
    const result = grammar.tokenizeLine(line, stack);
    const scopes: (readonly string[])[] = [];
    // The engine tokenizes the line with its line break, so the last token may reach one past the line.
    for (const token of result.tokens) for (let i = token.startIndex; i < Math.min(token.endIndex, line.length); i++) scopes[i] = token.scopes;
    for (let i = 0; i < line.length; i++) at.push(scopes[i] ?? []);
    at.push([]);
    stack = result.ruleStack;
  }
  return at;
}

const models = readdirSync(root('models')).filter((f) => f.endsWith('.net'));
const extra = {
  'broken.net': 'input 1x28x28\nconv 6 k5x3 s2 p=same | bn impl=scratch\nrelu x3 | dropout 0.5\n',
};

describe('playground highlighting', () => {
  test.each([...models.map((m) => [m, readFileSync(root(`models/${m}`), 'utf8')] as const), ...Object.entries(extra)])(
    '%s: the lexer-based scope of every token is the TextMate grammar\'s',
    (_name, source) => {
      const expected = textmateScopes(source);
      const mismatches: string[] = [];
      for (const { from, to, scope } of tokenScopes(source)) {
        const scopes = expected[from] ?? [];
        const text = source.slice(from, to);
        if (!scopes.includes(`${scope}.netc`)) mismatches.push(`${text}@${from}: ${scope} vs ${scopes.slice(1).join(' ')}`);
      }
      expect(mismatches).toEqual([]);
    },
  );

  test('CSS classes name the scope and its family', () => {
    expect(scopeClass('entity.name.function.layer')).toBe('tok-entity-name tok-entity-name-function-layer');
  });
});
