/** A position as the Language Server Protocol counts it: 0-based line, UTF-16 code units into the line. */
export interface LspPosition {
  readonly line: number;
  readonly character: number;
}

/**
 * Converts between source offsets (JavaScript string indices, which are UTF-16 code units, as in every `Span`) and
 * LSP positions, from the text alone: correct whatever the front end counts its columns in. `\r\n`, `\r` and `\n`
 * each end a line, as in the lexer.
 */
export class LineMap {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }

  /** The position of `offset` (clamped to the text). */
  position(offset: number): LspPosition {
    const at = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid]! <= at) low = mid;
      else high = mid - 1;
    }
    return { line: low, character: at - this.starts[low]! };
  }

  /** The offset of `position` (clamped to its line and to the text). */
  offset(position: LspPosition): number {
    if (position.line < 0) return 0;
    if (position.line >= this.starts.length) return this.text.length;
    const start = this.starts[position.line]!;
    const next = position.line + 1 < this.starts.length ? this.starts[position.line + 1]! : this.text.length;
    let end = next;
    while (end > start && (this.text[end - 1] === '\n' || this.text[end - 1] === '\r')) end--;
    return Math.min(start + Math.max(0, position.character), end);
  }

  /** The range of source offsets `[offset, end)`. */
  range(offset: number, end: number): { start: LspPosition; end: LspPosition } {
    return { start: this.position(offset), end: this.position(end) };
  }

  /** The number of lines. */
  get lineCount(): number {
    return this.starts.length;
  }

  /** The offset where line `line` ends (before its line break). */
  lineEnd(line: number): number {
    return this.offset({ line, character: Number.MAX_SAFE_INTEGER });
  }
}
