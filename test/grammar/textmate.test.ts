import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import oniguruma from 'vscode-oniguruma';
import textmate from 'vscode-textmate';
import { beforeAll, describe, expect, test } from 'vitest';

// Tokenizes real files with the engine VS Code uses (vscode-textmate on the oniguruma wasm) and checks the scopes
// an editor would colour them by.

const root = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const modelNames = ['lenet-bn.net', 'lenet-bn-scratch.net', 'lenet.net', 'mlp-bn.net', 'vgg-mini.net', 'resnet-mini.net', 'lenet-bn-blocks.net', 'lenet-bn-contract.net'];

/** One token of one line: its text and its scopes (outermost first). */
interface ScopedToken {
  readonly line: number;
  readonly text: string;
  readonly scopes: readonly string[];
}

let grammar: textmate.IGrammar;

beforeAll(async () => {
  const wasm = readFileSync(createRequire(import.meta.url).resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm);
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
  const loaded = await registry.loadGrammar('source.netc');
  if (loaded === null) throw new Error('grammar/netc.tmLanguage.json did not load');
  grammar = loaded;
});

function tokenize(source: string): ScopedToken[] {
  const tokens: ScopedToken[] = [];
  let stack = textmate.INITIAL;
  source.split(/\r?\n/).forEach((text, index) => {
    const result = grammar.tokenizeLine(text, stack);
    for (const token of result.tokens) {
      tokens.push({ line: index + 1, text: text.slice(token.startIndex, token.endIndex), scopes: token.scopes });
    }
    stack = result.ruleStack;
  });
  return tokens;
}

/** The innermost scope of the `nth` token (0-based) on `line` whose text, blanks aside, is `text`. */
function scopeOf(tokens: readonly ScopedToken[], line: number, text: string, nth = 0): string | undefined {
  const found = tokens.filter((token) => token.line === line && token.text.trim() === text)[nth];
  return found?.scopes[found.scopes.length - 1];
}

const readModel = (name: string): string => readFileSync(root(`models/${name}`), 'utf8');

describe('TextMate grammar on models/lenet-bn.net', () => {
  // Line numbers of models/lenet-bn.net: 3 model, 4 input, 5 train, 7-12 layers.
  test.each([
    [1, '#', 0, 'punctuation.definition.comment.netc'],
    [3, 'model', 0, 'keyword.other.model.netc'],
    [3, 'lenet_bn', 0, 'entity.name.type.model.netc'],
    [4, 'input', 0, 'keyword.other.input.netc'],
    [4, 'x', 0, 'keyword.operator.times.netc'],
    [4, '1', 0, 'constant.numeric.dims.netc'],
    [4, '28', 1, 'constant.numeric.dims.netc'],
    [5, 'train', 0, 'keyword.other.train.netc'],
    [5, 'dataset', 0, 'variable.parameter.key.netc'],
    [5, '=', 0, 'keyword.operator.assignment.netc'],
    [5, 'fashion-mnist', 0, 'constant.language.value.netc'],
    [5, '1.0', 0, 'constant.numeric.netc'],
    [5, 'sgd', 0, 'constant.language.value.netc'],
    [7, 'conv', 0, 'entity.name.function.layer.netc'],
    [7, '6', 0, 'constant.numeric.netc'],
    [7, 'k', 0, 'variable.parameter.short.netc'],
    [7, '5', 0, 'constant.numeric.netc'],
    [7, '|', 0, 'keyword.operator.pipe.netc'],
    [7, 'bn', 0, 'entity.name.function.layer.netc'],
    [7, 'sigmoid', 0, 'entity.name.function.layer.netc'],
    [7, 'avgpool', 0, 'entity.name.function.layer.netc'],
    [9, 'flatten', 0, 'entity.name.function.layer.netc'],
    [12, 'dense', 0, 'entity.name.function.layer.netc'],
    [12, '10', 0, 'constant.numeric.netc'],
  ])('line %i: %s (occurrence %i) is %s', (line, text, nth, scope) => {
    const tokens = tokenize(readModel('lenet-bn.net'));
    expect(scopeOf(tokens, line, text, nth)).toBe(scope);
  });

  test('a comment after code is a comment to the end of the line', () => {
    const tokens = tokenize(readModel('lenet-bn.net'));
    const comment = tokens.find((token) => token.line === 4 && token.text.startsWith(' channels'));
    expect(comment?.scopes).toContain('comment.line.number-sign.netc');
  });
});

describe('TextMate grammar on the other models', () => {
  test.each([
    ['lenet-bn-scratch.net', 'impl', 'variable.parameter.key.netc'],
    ['lenet-bn-scratch.net', 'scratch', 'constant.language.value.netc'],
    ['lenet.net', 'p', 'variable.parameter.short.netc'],
    ['lenet.net', 's', 'variable.parameter.short.netc'],
    ['lenet.net', '0.9', 'constant.numeric.netc'],
    ['mlp-bn.net', 'flatten', 'entity.name.function.layer.netc'],
    ['mlp-bn.net', 'relu', 'entity.name.function.layer.netc'],
    ['mlp-bn.net', 'mlp_bn', 'entity.name.type.model.netc'],
  ])('%s: %s is %s', (name, text, scope) => {
    const tokens = tokenize(readModel(name)).filter((token) => token.text === text);
    expect(tokens.length).toBeGreaterThan(0);
    for (const token of tokens) expect(token.scopes[token.scopes.length - 1]).toBe(scope);
  });

  test.each(modelNames)('%s: every character outside comments and blanks has a scope of its own', (name) => {
    for (const token of tokenize(readModel(name))) {
      if (token.text.trim() === '') continue;
      expect(token.scopes.length, `line ${token.line} \`${token.text}\``).toBeGreaterThan(1);
    }
  });
});

describe('TextMate grammar on each form of the language', () => {
  test.each([
    ['input 1 x 28 x 28', '28', 'constant.numeric.dims.netc'],
    ['input 784', '784', 'constant.numeric.netc'],
    ['conv 6 k3x5 p=same bias=false', 'k', 'variable.parameter.short.netc'],
    ['conv 6 k3x5 p=same bias=false', '3', 'constant.numeric.netc'],
    ['conv 6 k3x5 p=same bias=false', 'x', 'keyword.operator.times.netc'],
    ['conv 6 k3x5 p=same bias=false', 'p', 'variable.parameter.key.netc'],
    ['conv 6 k3x5 p=same bias=false', 'same', 'constant.language.value.netc'],
    ['conv 6 k3x5 p=same bias=false', 'false', 'constant.language.value.netc'],
    ['bn eps=1e-5 momentum=0.9', '1e-5', 'constant.numeric.netc'],
    ['dropout 0.5', 'dropout', 'entity.name.function.layer.netc'],
    ['dense 10 |', '|', 'keyword.operator.pipe.netc'],
    ['  relu | softmax', 'relu', 'entity.name.function.layer.netc'],
    ['dense -3', '-3', 'constant.numeric.netc'],
    ['modelx 3', 'modelx', 'entity.name.function.layer.netc'],
  ])('`%s`: %s is %s', (source, text, scope) => {
    expect(scopeOf(tokenize(source), 1, text)).toBe(scope);
  });
});

/** The 1-based number of the first line of `source` that starts (blanks aside) with `prefix`. */
function lineOf(source: string, prefix: string): number {
  const index = source.split(/\r?\n/).findIndex((line) => line.trimStart().startsWith(prefix));
  if (index < 0) throw new Error(`no line starts with ${prefix}`);
  return index + 1;
}

describe('TextMate grammar on the v2 models', () => {
  test.each([
    ['resnet-mini.net', 'def basic', 'def', 0, 'keyword.other.def.netc'],
    ['resnet-mini.net', 'def basic', 'basic', 0, 'entity.name.function.block.definition.netc'],
    ['resnet-mini.net', 'def basic', '(', 0, 'punctuation.section.parameters.begin.netc'],
    ['resnet-mini.net', 'def basic', 'c', 0, 'variable.parameter.block.netc'],
    ['resnet-mini.net', 'def basic', ')', 0, 'punctuation.section.parameters.end.netc'],
    ['resnet-mini.net', 'def basic', '=', 0, 'keyword.operator.assignment.netc'],
    ['resnet-mini.net', 'def basic', 'residual', 0, 'keyword.other.residual.netc'],
    ['resnet-mini.net', 'def basic', '{', 0, 'punctuation.section.block.begin.netc'],
    ['resnet-mini.net', 'def basic', 'conv', 0, 'entity.name.function.layer.netc'],
    ['resnet-mini.net', 'def basic', 'c', 1, 'variable.other.value.netc'],
    ['resnet-mini.net', 'def basic', '}', 0, 'punctuation.section.block.end.netc'],
    ['resnet-mini.net', 'def basic', 'relu', 1, 'entity.name.function.layer.netc'],
    ['resnet-mini.net', 'def down', 'proj', 0, 'keyword.other.proj.netc'],
    ['resnet-mini.net', 'basic(16)', 'basic', 0, 'entity.name.function.block.netc'],
    ['resnet-mini.net', 'basic(16)', '(', 0, 'punctuation.section.arguments.begin.netc'],
    ['resnet-mini.net', 'basic(16)', '16', 0, 'constant.numeric.netc'],
    ['resnet-mini.net', 'basic(16)', ')', 0, 'punctuation.section.arguments.end.netc'],
    ['resnet-mini.net', 'down(32)', 'down', 0, 'entity.name.function.block.netc'],
    ['vgg-mini.net', 'def vgg', 'n', 0, 'variable.parameter.block.netc'],
    ['vgg-mini.net', 'def vgg', '(', 1, 'punctuation.section.group.begin.netc'],
    ['vgg-mini.net', 'def vgg', ')', 1, 'punctuation.section.group.end.netc'],
    ['vgg-mini.net', 'def vgg', 'x', 0, 'keyword.operator.repeat.netc'],
    ['vgg-mini.net', 'def vgg', 'n', 1, 'variable.other.parameter.netc'],
    ['vgg-mini.net', 'def vgg', 'maxpool', 0, 'entity.name.function.layer.netc'],
    ['vgg-mini.net', 'vgg(2, 16)', 'vgg', 0, 'entity.name.function.block.netc'],
    ['vgg-mini.net', 'vgg(2, 16)', ',', 0, 'punctuation.separator.comma.netc'],
    ['lenet-bn-blocks.net', 'def cbs', 'cbs', 0, 'entity.name.function.block.definition.netc'],
    ['lenet-bn-blocks.net', 'cbs(6)', 'cbs', 1, 'entity.name.function.block.netc'],
    ['lenet-bn-blocks.net', 'dbs(120)', 'dbs', 1, 'entity.name.function.block.netc'],
    ['lenet-bn-contract.net', 'budget trainable', 'budget', 0, 'keyword.other.budget.netc'],
    ['lenet-bn-contract.net', 'budget trainable', 'trainable', 0, 'variable.other.budget.netc'],
    ['lenet-bn-contract.net', 'budget trainable', '<=', 0, 'keyword.operator.comparison.netc'],
    ['lenet-bn-contract.net', 'budget trainable', '50k', 0, 'constant.numeric.netc'],
    ['lenet-bn-contract.net', 'budget trainable', '44,878', 0, 'comment.line.number-sign.netc'],
    ['lenet-bn-contract.net', 'conv 16 k5', 'expect', 0, 'keyword.other.expect.netc'],
    ['lenet-bn-contract.net', 'conv 16 k5', '4', 1, 'constant.numeric.dims.netc'],
    ['lenet-bn-contract.net', 'conv 16 k5', 'avgpool', 0, 'entity.name.function.layer.netc'],
    ['lenet-bn-contract.net', 'expect 256', 'expect', 0, 'keyword.other.expect.netc'],
    ['lenet-bn-contract.net', 'expect 256', '256', 0, 'constant.numeric.netc'],
    ['lenet-bn-contract.net', 'dense 10', 'expect', 0, 'keyword.other.expect.netc'],
  ])('%s, line `%s`: %s (occurrence %i) is %s', (name, prefix, text, nth, scope) => {
    const source = readModel(name);
    expect(scopeOf(tokenize(source), lineOf(source, prefix), text, nth)).toBe(scope);
  });
});

describe('TextMate grammar on each v2 form', () => {
  test.each([
    ['conv 6 k5 x2', 'x', 0, 'keyword.operator.repeat.netc'],
    ['conv 6 k5 x2', '2', 0, 'constant.numeric.netc'],
    ['conv 6 k5 x2', 'k', 0, 'variable.parameter.short.netc'],
    ['relu x 3', 'x', 0, 'keyword.operator.repeat.netc'],
    ['relu x 3', '3', 0, 'constant.numeric.netc'],
    ['cbs(16) x2', 'x', 0, 'keyword.operator.repeat.netc'],
    ['(dense 64 | bn)x3', 'x', 0, 'keyword.operator.repeat.netc'],
    ['(dense 64 | bn)x3', 'dense', 0, 'entity.name.function.layer.netc'],
    ['relu x-1', 'x', 0, 'keyword.operator.repeat.netc'],
    ['conv 6 k3 x 5', 'x', 0, 'keyword.operator.times.netc'],
    ['avgpool 2 x 2', 'x', 0, 'keyword.operator.times.netc'],
    ['x 3x5x7x9', 'x', 0, 'entity.name.function.layer.netc'],
    ['conv 6 x=3', 'x', 0, 'variable.parameter.key.netc'],
    ['conv c kernel=k', 'c', 0, 'variable.other.value.netc'],
    ['cbs(c, k=3) | cbs(k5)', 'c', 0, 'variable.other.value.netc'],
    ['cbs(c, k=3) | cbs(k5)', 'k', 0, 'variable.parameter.key.netc'],
    ['cbs(c, k=3) | cbs(k5)', 'k5', 0, 'variable.other.value.netc'],
    ['relu | residual proj { conv 8 k1 }', 'residual', 0, 'keyword.other.residual.netc'],
    ['relu | residual proj { conv 8 k1 }', 'proj', 0, 'keyword.other.proj.netc'],
    ['relu | residual proj { conv 8 k1 }', 'conv', 0, 'entity.name.function.layer.netc'],
    ['proj 3 | conv proj', 'proj', 0, 'entity.name.function.layer.netc'],
    ['proj 3 | conv proj', 'proj', 1, 'variable.other.value.netc'],
    ['residual_2 | residuals', 'residual_2', 0, 'entity.name.function.layer.netc'],
    ['def stem = conv 6 k5 | bn', 'stem', 0, 'entity.name.function.block.definition.netc'],
    ['def stem = conv 6 k5 | bn', 'conv', 0, 'entity.name.function.layer.netc'],
    ['def f(c) = cbs(c) x2', 'cbs', 0, 'entity.name.function.block.netc'],
    ['def f(k=3x3) = relu', '3', 0, 'constant.numeric.dims.netc'],
    ['def f(k=3x3) = relu', 'relu', 0, 'entity.name.function.layer.netc'],
  ])('`%s`: %s (occurrence %i) is %s', (source, text, nth, scope) => {
    expect(scopeOf(tokenize(source), 1, text, nth)).toBe(scope);
  });

  test('a def header over several lines, its body on the next line', () => {
    const tokens = tokenize('def f(\n  c,\n  k=5\n) =\n  conv c kernel=k |\n  residual {\n    relu\n  }');
    expect(scopeOf(tokens, 2, 'c')).toBe('variable.parameter.block.netc');
    expect(scopeOf(tokens, 3, 'k')).toBe('variable.parameter.block.netc');
    expect(scopeOf(tokens, 3, '5')).toBe('constant.numeric.netc');
    expect(scopeOf(tokens, 4, ')')).toBe('punctuation.section.parameters.end.netc');
    expect(scopeOf(tokens, 4, '=')).toBe('keyword.operator.assignment.netc');
    expect(scopeOf(tokens, 5, 'conv')).toBe('entity.name.function.layer.netc');
    expect(tokens.find((t) => t.line === 5 && t.text === 'conv')?.scopes).not.toContain('meta.definition.block.netc');
    expect(scopeOf(tokens, 6, 'residual')).toBe('keyword.other.residual.netc');
    expect(scopeOf(tokens, 7, 'relu')).toBe('entity.name.function.layer.netc');
    expect(scopeOf(tokens, 8, '}')).toBe('punctuation.section.block.end.netc');
  });

  test('a block use\'s arguments over several lines are values, not stages', () => {
    const tokens = tokenize('cbs(\n  c,\n  k=3\n) x2');
    expect(scopeOf(tokens, 2, 'c')).toBe('variable.other.value.netc');
    expect(scopeOf(tokens, 3, 'k')).toBe('variable.parameter.key.netc');
    expect(scopeOf(tokens, 4, ')')).toBe('punctuation.section.arguments.end.netc');
    expect(scopeOf(tokens, 4, 'x')).toBe('keyword.operator.repeat.netc');
  });
});
