import type { ISerializedGast, TokenType } from 'chevrotain';
import { createSyntaxDiagramsCode, Lexer } from './chevrotain.js';
import { maxNesting } from './brackets.js';
import { NetParser, SyntaxMessages } from './parser.js';
import { allTokens, tokenDescriptions } from './tokens.js';

// grammar/netc.ebnf and grammar/railroad.html are printed from the parser's own grammar (chevrotain's GAST) and
// token definitions, so they cannot drift from what `parse` accepts: `npm run grammar` rewrites them and
// test/grammar checks that the committed files are what these functions print.

/** The parser's rules as chevrotain serialises them (a fresh, validated parser). */
function serializedRules(): ISerializedGast[] {
  return new NetParser(new SyntaxMessages(), { validate: true }).getSerializedGastProductions();
}

/** The fields of serialised GAST elements that the printer reads (chevrotain types them loosely). */
interface GastElement {
  readonly type: ISerializedGast['type'];
  readonly definition?: readonly GastElement[];
  readonly name?: string;
  readonly label?: string;
  readonly separator?: { readonly name: string; readonly label?: string };
}

/** A GAST element as an EBNF expression; `nested` when it sits in a sequence, where a choice needs brackets. */
function printElement(element: GastElement, nested: boolean): string {
  const body = element.definition ?? [];
  switch (element.type) {
    case 'NonTerminal':
      return element.name ?? '?';
    case 'Terminal':
      return element.label ?? element.name ?? '?';
    case 'Alternation': {
      const choice = body.map((alternative) => printSequence(alternative.definition ?? [])).join(' | ');
      return nested ? `( ${choice} )` : choice;
    }
    case 'Option':
      return `[ ${printSequence(body, false)} ]`;
    case 'Repetition':
      return `{ ${printSequence(body, false)} }`;
    case 'RepetitionMandatory':
      return `${printSequence(body)} { ${printSequence(body)} }`;
    case 'RepetitionWithSeparator':
      return `[ ${printSequence(body)} { ${separator(element)} ${printSequence(body)} } ]`;
    case 'RepetitionMandatoryWithSeparator':
      return `${printSequence(body)} { ${separator(element)} ${printSequence(body)} }`;
    default:
      return printSequence(body);
  }
}

function separator(element: GastElement): string {
  return element.separator === undefined ? '' : (element.separator.label ?? element.separator.name);
}

/** Elements in a row; a lone choice inside `{ }` or `[ ]` needs no brackets of its own. */
function printSequence(elements: readonly GastElement[], nestChoices = true): string {
  const nested = nestChoices || elements.length > 1;
  return elements.map((element) => printElement(element, nested)).join(' ');
}

/** One rule; a rule that is a choice puts each alternative on its own line. */
function printRule(rule: GastElement): string {
  const definition = rule.definition ?? [];
  const only = definition.length === 1 ? definition[0] : undefined;
  if (only?.type === 'Alternation') {
    const alternatives = (only.definition ?? []).map((alternative) => printSequence(alternative.definition ?? []));
    return `${rule.name}\n    = ${alternatives.join('\n    | ')}\n    ;`;
  }
  return `${rule.name} = ${printSequence(definition, false)} ;`;
}

/** How a token type is named in the EBNF (its label: `NUMBER`, `"model"`). */
function tokenName(type: TokenType): string {
  return type.LABEL ?? type.name;
}

/** One lexical rule: the exact regular expression the lexer uses, what the token is, and what it yields to. */
function printToken(type: TokenType): string {
  const pattern = type.PATTERN;
  const lines: string[] = [];
  const description = tokenDescriptions.get(type);
  if (description !== undefined) lines.push(`(* ${description} *)`);
  const longer = type.LONGER_ALT === undefined ? [] : [type.LONGER_ALT].flat();
  if (longer.length > 0) {
    lines.push(`(* gives way to a longer match of ${longer.map(tokenName).join(' or ')} at the same place *)`);
  }
  const named = (type.CATEGORIES ?? []).filter((category) => category.PATTERN !== Lexer.NA);
  if (named.length > 0) {
    lines.push(`(* also counts as ${named.map(tokenName).join(' or ')}: the syntax takes it wherever it takes one *)`);
  }
  if (pattern === Lexer.NA) {
    const members = allTokens.filter((member) => member.CATEGORIES?.includes(type));
    lines.push(`${tokenName(type)} = ${members.map(tokenName).join(' | ')} ;`);
  } else if (pattern instanceof RegExp) {
    lines.push(`${tokenName(type)} = ? /${pattern.source}/ ? ;`);
  } else {
    lines.push(`${tokenName(type)} = ? ${String(pattern)} ? ;`);
  }
  return lines.join('\n');
}

/** grammar/netc.ebnf: the syntax rules printed from the parser, then the lexical rules printed from the tokens. */
export function printEbnf(): string {
  const rules = serializedRules() as GastElement[];
  const lexed = allTokens.filter((type) => type.PATTERN !== Lexer.NA);
  const categories = allTokens.filter((type) => type.PATTERN === Lexer.NA);
  return [
    '(* The .net language, version 2: its grammar in EBNF (ISO 14977 style: "=" defines, "|" separates',
    '   alternatives, [ ] is optional, { } repeats zero or more times, ( ) groups, ";" ends a rule, "? /re/ ?" is',
    '   the JavaScript regular expression a token matches).',
    '   Printed from the parser (src/syntax/parser.ts) and its tokens (src/syntax/tokens.ts) by `npm run grammar`;',
    '   do not edit: test/grammar fails when this file and the parser disagree. *)',
    '',
    '(* Syntax. The lexer drops WHITESPACE and COMMENT. A NEWLINE ends a statement except where the statement',
    '   clearly goes on, and there it is dropped before the parser sees it: after "|", after the "=" of a',
    '   defStatement, and anywhere inside "( )" and "{ }" of a pipeline or a defStatement (blank and comment',
    '   lines may come between). A line that starts with "model", "input", "train" or "def" always starts a',
    `   statement: a bracket still open there is reported as never closed. Brackets nest at most ${maxNesting} deep.`,
    '   In a layer\'s arguments a bare "x" is never an argument: it starts the stage\'s repetition. *)',
    '',
    ...rules.map(printRule),
    '',
    '(* Tokens, in the order the lexer tries them: at each place it takes the first that matches, so the',
    '   keywords are reserved words, never an IDENTIFIER. *)',
    '',
    ...lexed.map(printToken).join('\n\n').split('\n'),
    '',
    '(* Token categories: one name for several token types. *)',
    '',
    ...categories.map(printToken).join('\n\n').split('\n'),
    '',
  ].join('\n');
}

/** grammar/railroad.html: chevrotain's syntax diagrams of the same rules (the page loads its script from unpkg). */
export function printRailroad(): string {
  return createSyntaxDiagramsCode(serializedRules());
}

/** The lines around the copy of the EBNF in docs/LANGUAGE.md. */
const docBegin = '<!-- grammar:begin (printed by `npm run grammar`; do not edit) -->';
const docEnd = '<!-- grammar:end -->';

/** The EBNF copied into docs/LANGUAGE.md between its markers, or undefined when the markers are missing. */
export function embeddedGrammar(doc: string): string | undefined {
  const begin = doc.indexOf(docBegin);
  const end = doc.indexOf(docEnd);
  if (begin < 0 || end < begin) return undefined;
  return doc.slice(begin + docBegin.length, end);
}

/** docs/LANGUAGE.md with `ebnf` as its copy of the grammar, in an `ebnf` code block between the markers. */
export function spliceGrammar(doc: string, ebnf: string): string {
  const current = embeddedGrammar(doc);
  if (current === undefined) throw new Error(`docs/LANGUAGE.md has no ${docBegin} ... ${docEnd} section`);
  const begin = doc.indexOf(docBegin) + docBegin.length;
  return `${doc.slice(0, begin)}${grammarBlock(ebnf)}${doc.slice(begin + current.length)}`;
}

/** How the EBNF stands in docs/LANGUAGE.md. */
export function grammarBlock(ebnf: string): string {
  return `\n\`\`\`ebnf\n${ebnf.endsWith('\n') ? ebnf : `${ebnf}\n`}\`\`\`\n`;
}
