// netc's front end as a library: `import { analyze } from 'netc/frontend'`. Runs in Node and in a browser.
export { analyze, type Analysis } from './analyze.js';
export { capDiagnostics, maxDiagnosticsPerFile } from './capDiagnostics.js';
export { PositionIndex, type AstNode, type BlockInfo, type StageShape } from './PositionIndex.js';
export type { Diagnostic, RelatedLocation, Span } from '../diagnostics/Diagnostic.js';
export { formatDiagnosticsText, toDiagnosticsJson, type DiagnosticJson } from '../diagnostics/format.js';
export type { BlockOrigin, CheckedLayer, CheckedModel, ModelCost, ParamCount, Shape, TrainOptions } from '../ir/model.js';
export { formatShape, layoutOf, type Layout } from '../ir/layout.js';
export type * from '../syntax/ast.js';
export { lockEntry, parseLock, printLock, type LockEntry, type LockFile, type LockLayer, type LockTotals } from '../contracts/lock.js';
export { checkLocked } from '../contracts/drift.js';
export { diffModels, totalsDelta, type DiffRow, type DiffSide, type ModelDiff } from '../contracts/diff.js';
