import type { Diagnostic } from '../diagnostics/Diagnostic.js';
import type { FileNode, PipelineNode, StageNode, StatementNode } from '../syntax/ast.js';

/** A node whose text the damage map knows: a statement, or a stage of any pipeline (top level, block, group). */
export type DamageNode = StatementNode | StageNode;

/**
 * Where the parser found syntax errors, mapped onto the statements and stages it kept. The parser drops what it
 * cannot read (an option, a layer, a statement's tail), so the checker must not report what is only missing
 * because of that: an argument lost with its layer, a shape that skipped a dropped layer, a lost `input`.
 */
export class SyntaxDamage {
  private readonly offsets: readonly number[];
  private readonly regions = new Map<DamageNode, readonly [number, number]>();

  constructor(file: FileNode, parseDiagnostics: readonly Diagnostic[]) {
    this.offsets = parseDiagnostics.filter((d) => d.severity === 'error').map((d) => d.span.offset);
    // Without a syntax error no question is ever asked, so big files skip building the map.
    if (this.offsets.length === 0) return;
    // A node owns the text from its start to the next node's start: that is where its lost tokens were.
    const statements = file.statements;
    statements.forEach((statement, i) => {
      const end = statements[i + 1]?.span.offset ?? Math.max(file.span.end, statement.span.end) + 1;
      this.regions.set(statement, [statement.span.offset, end]);
      if (statement.kind === 'Pipeline') this.addPipeline(statement, end);
      if (statement.kind === 'Def') this.addPipeline(statement.body, end);
    });
  }

  private addPipeline(pipeline: PipelineNode, end: number): void {
    pipeline.layers.forEach((stage, j) => this.addStage(stage, pipeline.layers[j + 1]?.span.offset ?? end));
  }

  private addStage(stage: StageNode, end: number): void {
    this.regions.set(stage, [stage.span.offset, end]);
    switch (stage.kind) {
      case 'Repeat':
        this.addStage(stage.body, Math.max(stage.body.span.end, Math.min(end, stage.count.span.offset)));
        break;
      case 'Group':
      case 'Residual':
        this.addPipeline(stage.body, Math.max(stage.body.span.end, Math.min(end, stage.span.end)));
        break;
      case 'Layer':
      case 'BlockUse':
      case 'Expect':
        break;
    }
  }

  /** True when the file has any syntax error. */
  get any(): boolean {
    return this.offsets.length > 0;
  }

  /** True when a syntax error lies in the text a statement or stage owns, so parts of it may have been dropped. */
  damaged(node: DamageNode): boolean {
    const region = this.regions.get(node);
    return region !== undefined && this.offsets.some((offset) => offset >= region[0] && offset < region[1]);
  }

  /** True when a syntax error lies before the end of the text a node owns: shapes from there on are not trusted. */
  reaches(node: DamageNode): boolean {
    const region = this.regions.get(node);
    return region !== undefined && this.offsets.some((offset) => offset < region[1]);
  }

  /** True when a syntax error lies between two offsets, where a layer may have been dropped. */
  between(start: number, end: number): boolean {
    return this.offsets.some((offset) => offset >= start && offset < end);
  }
}
