import type { CheckedModel } from '../ir/model.js';
import type { Diagnostic, RelatedLocation, Span } from '../diagnostics/Diagnostic.js';
import { formatShape } from '../ir/layout.js';
import { describeLayer } from './describeLayer.js';
import { diffModels, type DiffRow } from './diff.js';
import { lockEntry, type LockEntry, type LockLayer } from './lock.js';

/**
 * Compares a checked model with its lock entry. Any drift is one error (NN6001) at the first layer that changed,
 * naming its locked and current output shape and parameters, how many later layers changed too and the totals that
 * moved; `lockName` is how the message names the lockfile. No drift, no diagnostics.
 */
export function checkLocked(locked: LockEntry, model: CheckedModel, lockName: string): Diagnostic[] {
  const current = lockEntry(model);
  const diff = diffModels(locked, current);
  if (!diff.changed) return [];
  const firstIndex = diff.rows.findIndex((row) => row.status !== 'same');
  const accept = `run \`netc lock\` to accept the change`;
  const totals = describeTotals(locked, current);
  if (firstIndex < 0) {
    // Only the input differs (every layer kept its shapes): the input line is what changed.
    const message =
      `The input is ${formatShape(model.input)} but ${lockName} has ${formatShape(locked.input)}` +
      `${totals === '' ? '' : `; ${totals}`}; ${accept}.`;
    return [{ code: 'NN6001', severity: 'error', message, span: model.inputSpan }];
  }
  const first = diff.rows[firstIndex]!;
  const later = diff.rows.slice(firstIndex + 1).filter((row) => row.status !== 'same').length;
  const rest = [
    later === 0 ? '' : `${later} later layer${later === 1 ? '' : 's'} changed too`,
    totals,
  ].filter((part) => part !== '');
  const tail = `${rest.length === 0 ? '' : `; ${rest.join(', ')}`}; ${accept}.`;
  const at = siteOfRow(diff.rows, firstIndex, model);
  const message = `${describeRow(first, locked.layers, current.layers, lockName)}${tail}`;
  return [{ code: 'NN6001', severity: 'error', message, span: at.span, ...(at.related.length > 0 ? { related: at.related } : {}) }];
}

function describeRow(
  row: DiffRow,
  locked: readonly LockLayer[],
  current: readonly LockLayer[],
  lockName: string,
): string {
  if (row.status === 'removed') {
    const old = locked[row.a!]!;
    return (
      `Layer ${row.a! + 1} of ${lockName}, \`${describeLayer(old.op, old.args)}\` ` +
      `(output ${formatShape(old.output)}, ${count(paramsOf(old))} parameters), is gone`
    );
  }
  const now = current[row.b!]!;
  const name = `\`${describeLayer(now.op, now.args)}\``;
  if (row.status === 'added') {
    return (
      `Layer ${row.b! + 1}, ${name} (output ${formatShape(now.output)}, ${count(paramsOf(now))} parameters), ` +
      `is not in ${lockName}`
    );
  }
  const old = locked[row.a!]!;
  const macs = old.macs === now.macs ? '' : `, MACs ${count(old.macs)} -> ${count(now.macs)}`;
  const what =
    row.fields.includes('args') || row.fields.includes('variant')
      ? `Layer ${row.b! + 1} is ${name} but ${lockName} has \`${describeLayer(old.op, old.args)}\``
      : `Layer ${row.b! + 1} ${name} changed since ${lockName} was written`;
  return (
    `${what}: output ${change(formatShape(old.output), formatShape(now.output))}, ` +
    `parameters ${change(count(paramsOf(old)), count(paramsOf(now)))}${macs}`
  );
}

/** The span a row's error is shown at: the layer (or, for a block's layer, the block use) on the current side. */
function siteOfRow(rows: readonly DiffRow[], index: number, model: CheckedModel): { span: Span; related: RelatedLocation[] } {
  // A removed layer has no current position: show the error at the layer that now takes its place.
  const next = rows.slice(index).find((row) => row.b !== null) ?? [...rows].reverse().find((row) => row.b !== null);
  const layer = next === undefined ? undefined : model.layers[next.b!];
  if (layer === undefined) return { span: model.inputSpan, related: [] };
  const uses = layer.blocks ?? [];
  if (uses.length === 0) return { span: layer.span, related: [] };
  // The use is where the block's arguments are written, so what changed is most likely there.
  const inner = uses[uses.length - 1]!;
  return { span: uses[0]!.span, related: [{ message: `Here, in the definition of \`${inner.name}\`.`, span: layer.span }] };
}

function describeTotals(locked: LockEntry, current: LockEntry): string {
  const parts: string[] = [];
  const oldParams = locked.totals.trainable + locked.totals.nonTrainable;
  const newParams = current.totals.trainable + current.totals.nonTrainable;
  if (oldParams !== newParams) parts.push(`total parameters ${count(oldParams)} -> ${count(newParams)}`);
  if (locked.totals.macs !== current.totals.macs) parts.push(`total MACs ${count(locked.totals.macs)} -> ${count(current.totals.macs)}`);
  return parts.join(', ');
}

function paramsOf(layer: LockLayer): number {
  return layer.params.trainable + layer.params.nonTrainable;
}

function change(old: string, now: string): string {
  return old === now ? `${now} (unchanged)` : `${old} -> ${now}`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
