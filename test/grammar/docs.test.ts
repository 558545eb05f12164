import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { maxExpandedNodes, maxModelNodes, maxNesting as maxExpansionNesting } from '../../src/check/expand.js';
import { maxParameters, maxValuesPerExample } from '../../src/check/rules/ModelSizeRule.js';
import { catalogue } from '../../src/diagnostics/messages.js';
import { layerKinds, layerNames } from '../../src/layers/registry.js';
import { maxNesting } from '../../src/syntax/brackets.js';
import { maxSyntaxDiagnostics, parse } from '../../src/syntax/parse.js';
import { NetParser, SyntaxMessages } from '../../src/syntax/parser.js';
import { embeddedGrammar, grammarBlock, printEbnf } from '../../src/syntax/printGrammar.js';

// docs/LANGUAGE.md is the language reference: these tests keep it in step with the parser, the code catalogue and
// the limits the code enforces.

const doc = readFileSync(fileURLToPath(new URL('../../docs/LANGUAGE.md', import.meta.url)), 'utf8');

/** The text of the section under `## title`, up to the next `## `. */
function section(title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/LANGUAGE.md has no section "${title}"`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? doc.length : end);
}

describe('docs/LANGUAGE.md', () => {
  test('its grammar is the one the parser prints (run `npm run grammar` after changing the parser)', () => {
    expect(embeddedGrammar(doc)).toBe(grammarBlock(printEbnf()));
  });

  test('every production of the parser appears in its grammar section', () => {
    const grammar = section('Grammar');
    const rules = Object.keys(new NetParser(new SyntaxMessages()).getGAstProductions());
    expect(rules.length).toBeGreaterThan(10);
    for (const rule of rules) expect(grammar).toMatch(new RegExp(`\\n${rule}\\s+= `));
  });

  test('every diagnostic code is listed with its severity, and only those', () => {
    const rows = [...section('Diagnostics').matchAll(/^\| (NN\d{4}) \| (error|warning) \| (.+) \|$/gm)];
    const listed = new Map(rows.map((row) => [row[1]!, row[2]!]));
    expect(rows).toHaveLength(listed.size);
    expect([...listed.keys()]).toEqual(Object.keys(catalogue));
    for (const [code, entry] of Object.entries(catalogue)) expect(listed.get(code), code).toBe(entry.severity);
  });

  test('every `net` example parses without a syntax error', () => {
    const examples = [...doc.matchAll(/```net\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(6);
    for (const example of examples) expect(parse(example).diagnostics, example).toEqual([]);
  });

  test('the limits it states are the ones the code enforces', () => {
    const limits = section('Limits');
    expect(limits).toContain(`| brackets \`(\` and \`{\` nested in one statement | ${maxNesting} levels |`);
    expect(limits).toContain(`| ${maxExpansionNesting} levels | NN2028 |`);
    expect(limits).toContain(`| ${maxExpandedNodes.toLocaleString('en-US')} | NN2028`);
    expect(limits).toContain(`| ${maxModelNodes.toLocaleString('en-US')} | NN2030`);
    expect(limits).toContain(`| parameters in one model | ${maxParameters.toLocaleString('en-US')} (200 MB of float32) | NN2031`);
    expect(limits).toContain(`| ${maxValuesPerExample.toLocaleString('en-US')} (2^24) | NN2031 |`);
    expect(limits).toContain(`| ${maxSyntaxDiagnostics}, then one NN1005`);
  });

});
