/**
 * Python source text built from values a model file chose (its name, block names, numbers). Nothing from a model
 * file reaches generated Python except through these functions: strings become escaped literals, comments lose
 * every character that could end them, numbers are written only when finite.
 */

/** A Python string literal for any text: printable ASCII kept, everything else escaped (`'a\'b\n'`). */
export function pyString(text: string): string {
  let out = "'";
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '\\') out += '\\\\';
    else if (char === "'") out += "\\'";
    else if (code >= 0x20 && code < 0x7f) out += char;
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\r') out += '\\r';
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}'`;
}

/**
 * Text safe inside a `#` comment or a docstring line: printable ASCII only (others become `?`), no backslash and
 * no quote run that could close a docstring, cut to `max` characters.
 */
export function pyCommentText(text: string, max = 120): string {
  const clean = [...text].map((c) => (c >= ' ' && c <= '~' && c !== '\\' ? c : '?')).join('').replace(/"/g, "'");
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}

/** A finite number as Python writes it (`1e-05`, `0.1`, `3`); anything else is a programmer error. */
export function pyNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`internal: ${value} cannot be written as a Python number`);
  return String(value);
}

/** A float rounded to 12 significant digits, so that `1 - 0.9` is written `0.1`. */
export function pyFloat(value: number): string {
  const rounded = Number(value.toPrecision(12));
  const text = pyNumber(rounded);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** `(a, b)` for a pair, `(a,)` for one value. */
export function pyTuple(values: readonly number[]): string {
  return values.length === 1 ? `(${pyNumber(values[0]!)},)` : `(${values.map(pyNumber).join(', ')})`;
}

/** True for a word usable as a Python identifier that netc generates (ASCII letters, digits, underscores). */
export function isPyIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !pythonKeywords.has(name);
}

const pythonKeywords = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif',
  'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or',
  'pass', 'raise', 'return', 'try', 'while', 'with', 'yield', 'match', 'case',
]);
