import type { ArgValue } from '../ir/model.js';
import type { Code } from '../diagnostics/messages.js';
import { replaceFix, type Fix } from '../diagnostics/Diagnostic.js';
import type { ArgType } from '../layers/LayerKind.js';
import type { NumberNode, ValueNode } from '../syntax/ast.js';
import { didYouMean, listNames } from './didYouMean.js';

/** The outcome of reading one written value against its type: the value, or why it is wrong. */
export type ValueResult =
  | { readonly ok: true; readonly value: ArgValue }
  /** `fix`: the edit the message proposes (a did-you-mean word in place of the written one). */
  | { readonly ok: false; readonly code: Code; readonly message: string; readonly fix?: Fix };

/** A value as the user wrote it, for messages: `2.5`, `3x5`, `` `same` ``. */
export function showValue(node: ValueNode): string {
  switch (node.kind) {
    case 'Number':
      return node.text;
    case 'Dims':
      return node.values.map((value) => value.text).join('x');
    case 'Ident':
      return `\`${node.name}\``;
  }
}

/** The largest whole number any argument or size may have (2^31 - 1). */
export const maxWhole = 2_147_483_647;

const fail = (code: Code, message: string): ValueResult => ({ ok: false, code, message });

/**
 * Reads `node` as a value of `type`. `subject` names the argument in messages (`` `kernel` of `conv` ``).
 * Pairs and numeric paddings come back as `[height, width]` whichever way they were written.
 */
export function resolveValue(type: ArgType, node: ValueNode, subject: string): ValueResult {
  switch (type.kind) {
    case 'int':
      if (node.kind !== 'Number') return fail('NN2004', `${subject} must be a whole number, not ${showValue(node)}.`);
      return checkWhole(node, type.min, subject);
    case 'pair':
    case 'pad':
      return resolvePair(type, node, subject);
    case 'number':
      if (node.kind !== 'Number') return fail('NN2004', `${subject} must be a number, not ${showValue(node)}.`);
      return checkRange(node, type, subject);
    case 'bool':
      if (node.kind === 'Ident' && (node.name === 'true' || node.name === 'false')) {
        return { ok: true, value: node.name === 'true' };
      }
      return fail('NN2004', `${subject} must be \`true\` or \`false\`, not ${showValue(node)}.`);
    case 'enum': {
      const choices = listNames(type.values);
      if (node.kind !== 'Ident') return fail('NN2004', `${subject} must be ${choices}, not ${showValue(node)}.`);
      if (type.values.includes(node.name)) return { ok: true, value: node.name };
      const guess = didYouMean(node.name, type.values);
      const hint = guess === undefined ? '' : `; did you mean \`${guess}\`?`;
      const message = `${subject} must be ${choices}, not \`${node.name}\`${hint === '' ? '.' : hint}`;
      return guess === undefined ? fail('NN2016', message) : { ok: false, code: 'NN2016', message, fix: replaceFix(node.span, node.name, guess) };
    }
  }
}

function resolvePair(type: Extract<ArgType, { kind: 'pair' | 'pad' }>, node: ValueNode, subject: string): ValueResult {
  const min = type.kind === 'pad' ? 0 : (type.min ?? 1);
  const forms = type.kind === 'pad' ? 'a number, HxW or `same`' : 'a number or HxW';
  if (node.kind === 'Ident') {
    if (type.kind === 'pad' && node.name === 'same') return { ok: true, value: 'same' };
    return fail('NN2004', `${subject} must be ${forms}, not ${showValue(node)}.`);
  }
  const numbers = node.kind === 'Number' ? [node, node] : node.values;
  if (numbers.length !== 2) {
    return fail('NN2004', `${subject} must be ${forms} (height x width), not ${showValue(node)}.`);
  }
  const pair: number[] = [];
  for (const number of numbers) {
    const result = checkWhole(number, min, subject);
    if (!result.ok) return result;
    pair.push(number.value);
  }
  return { ok: true, value: pair };
}

/** A whole number of at least `min`: NN2015 when fractional, NN2010 below a minimum of 1 (a size), else NN2011. */
function checkWhole(node: NumberNode, min: number | undefined, subject: string): ValueResult {
  if (!Number.isFinite(node.value)) return fail('NN2011', `${subject} must be a finite number, not ${node.text}.`);
  if (!Number.isInteger(node.value)) return fail('NN2015', `${subject} must be a whole number, not ${node.text}.`);
  // Tensor dimensions are 32-bit in TensorFlow, and larger counts would lose precision in the totals.
  if (node.value > maxWhole) return fail('NN2011', `${subject} must be at most ${maxWhole}, not ${node.text}.`);
  if (min !== undefined && node.value < min) {
    return min >= 1
      ? fail('NN2010', `${subject} must be a positive size (at least ${min}), not ${node.text}.`)
      : fail('NN2011', `${subject} must be at least ${min}, not ${node.text}.`);
  }
  return { ok: true, value: node.value };
}

function checkRange(node: NumberNode, type: Extract<ArgType, { kind: 'number' }>, subject: string): ValueResult {
  const value = node.value;
  const tooLow = type.min !== undefined && (type.minExclusive === true ? value <= type.min : value < type.min);
  const tooHigh = type.max !== undefined && (type.maxExclusive === true ? value >= type.max : value > type.max);
  if (!Number.isFinite(value) || tooLow || tooHigh) {
    return fail('NN2011', `${subject} must be ${describeRange(type)}, not ${node.text}.`);
  }
  return { ok: true, value };
}

/** `at least 0 and below 1`, `above 0`: the allowed range of a number, in words. */
function describeRange(type: Extract<ArgType, { kind: 'number' }>): string {
  const parts: string[] = [];
  if (type.min !== undefined) parts.push(type.minExclusive === true ? `above ${type.min}` : `at least ${type.min}`);
  if (type.max !== undefined) parts.push(type.maxExclusive === true ? `below ${type.max}` : `at most ${type.max}`);
  return parts.length === 0 ? 'a finite number' : parts.join(' and ');
}
