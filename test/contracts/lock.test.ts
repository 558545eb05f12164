import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { checkLocked } from '../../src/contracts/drift.js';
import { lockEntry, parseLock, printLock, type LockFile } from '../../src/contracts/lock.js';
import { checkSource } from '../check/harness.js';

const lenetBn = readFileSync(new URL('../../models/lenet-bn.net', import.meta.url), 'utf8');
const modelOf = (source: string) => checkSource(source).model!;

describe('the lockfile text', () => {
  const lock: LockFile = { lockfileVersion: 1, files: { 'b.net': lockEntry(modelOf(lenetBn)), 'a.net': lockEntry(modelOf('input 784\ndense 10\n')) } };

  test('files in path order, one layer a line, keys in a fixed order; the same models give the same bytes', () => {
    const text = printLock(lock);
    expect(text.indexOf('"a.net"')).toBeLessThan(text.indexOf('"b.net"'));
    expect(text).toContain(
      '        {"op":"conv","variant":null,"args":{"bias":true,"kernel":[5,5],"out":6,"pad":[0,0],"stride":[1,1]},' +
        '"output":[6,24,24],"params":{"trainable":156,"nonTrainable":0},"macs":86400},\n',
    );
    expect(text).toContain('"totals": {"trainable":44878,"nonTrainable":452,"macs":281640,"flops":563280,"activations":15438}');
    const reordered: LockFile = { lockfileVersion: 1, files: { 'a.net': lock.files['a.net']!, 'b.net': lock.files['b.net']! } };
    expect(printLock(reordered)).toBe(text);
    // It is JSON, and reads back as the same lock.
    expect(parseLock(text)).toEqual({ lock: JSON.parse(text) });
    expect(printLock(parseLock(text).lock!)).toBe(text);
  });

  test.each([
    ['not json', 'it is not JSON'],
    ['[]', 'it is not a JSON object'],
    ['{"lockfileVersion": 2, "files": {}}', 'its lockfileVersion is 2, and this netc reads version 1'],
    ['{"lockfileVersion": 1}', '"files" is not an object'],
    ['{"lockfileVersion": 1, "files": {"m.net": {"model": "m", "input": [784], "layers": [{"op": "dense"}], "totals": {}}}}', 'the entry for "m.net" has a layer 1 that has a bad "variant"'],
    ['{"lockfileVersion": 1, "files": {"m.net": {"model": "m", "input": [784], "layers": [], "totals": {"macs": 1}}}}', 'the entry for "m.net" has incomplete "totals"'],
  ])('%s is refused: %s', (text, reason) => {
    expect(parseLock(text).error).toContain(reason);
  });
});

describe('checkLocked', () => {
  const locked = lockEntry(modelOf(lenetBn));

  test('the same model has no drift, whatever its comments and spacing', () => {
    expect(checkLocked(locked, modelOf(lenetBn.replace(/#.*$/gm, '').replace(/ {2}\|/g, ' |')), 'netc.lock')).toEqual([]);
  });

  test('conv 6 k5 -> conv 8 k5: one error at that line with the old and new shape and parameters', () => {
    const changed = lenetBn.replace('conv 6 k5', 'conv 8 k5');
    const [error, ...rest] = checkLocked(locked, modelOf(changed), 'netc.lock');
    expect(rest).toEqual([]);
    expect(error).toMatchObject({ code: 'NN6001', severity: 'error', span: { line: 7, column: 1 } });
    expect(error!.message).toBe(
      'Layer 1 is `conv 8 k5` but netc.lock has `conv 6 k5`: output 6x24x24 -> 8x24x24, parameters 156 -> 208, ' +
        'MACs 86,400 -> 115,200; 4 later layers changed too, total parameters 45,330 -> 46,190, ' +
        'total MACs 281,640 -> 361,640; run `netc lock` to accept the change.',
    );
  });

  test('a layer whose arguments stay but whose shape changes names both shapes', () => {
    const changed = lenetBn.replace('conv 16 k5', 'conv 16 k5 p2');
    const [error] = checkLocked(locked, modelOf(changed.replace('conv 16 k5 p2', 'conv 16 k5')), 'netc.lock');
    expect(error).toBeUndefined();
    // Without the `train` line: a 32x32 input does not fit Fashion-MNIST, which is an error of its own.
    const input = checkLocked(locked, modelOf(lenetBn.replace(/^train .*$/m, '').replace('input 1x28x28', 'input 1x32x32')), 'ci.lock');
    expect(input[0]!.span.line).toBe(7);
    expect(input[0]!.message).toMatch(/^Layer 1 `conv 6 k5` changed since ci\.lock was written: output 6x24x24 -> 6x28x28, parameters 156 \(unchanged\)/);
  });

  test('an added layer is reported where it is written; a removed one where the next layer now is', () => {
    const added = checkLocked(locked, modelOf(lenetBn.replace('dense 84 | bn | sigmoid', 'dense 84 | bn | sigmoid | dropout 0.3')), 'netc.lock');
    expect(added).toMatchObject([{ code: 'NN6001', span: { line: 11, column: 27 } }]);
    expect(added[0]!.message).toMatch(/^Layer 16, `dropout 0\.3` \(output 84, 0 parameters\), is not in netc\.lock; run/);
    const removed = checkLocked(locked, modelOf(lenetBn.replace('conv 16 k5 | bn |', 'conv 16 k5 |')), 'netc.lock');
    expect(removed).toMatchObject([{ code: 'NN6001', span: { line: 8, column: 14 } }]);
    expect(removed[0]!.message).toMatch(/^Layer 6 of netc\.lock, `bn` \(output 16x8x8, 64 parameters\), is gone; total parameters 45,330 -> 45,266; run/);
  });

  test('a layer inside a block is reported at the block use, with its definition related', () => {
    const blocks = 'input 1x28x28\ndef cbs(c) = conv c k5 | bn | sigmoid\ncbs(6) | flatten | dense 10\n';
    const old = lockEntry(modelOf(blocks));
    const [error] = checkLocked(old, modelOf(blocks.replace('cbs(6)', 'cbs(8)')), 'netc.lock');
    expect(error!.span).toMatchObject({ line: 3, column: 1 });
    expect(error!.related).toMatchObject([{ message: 'Here, in the definition of `cbs`.', span: { line: 2, column: 14 } }]);
  });
});

describe('through the front-end library', () => {
  test('analyze, lockEntry, checkLocked and diffModels from netc/frontend', async () => {
    const lib = await import('../../src/frontend/index.js');
    const before = lib.analyze(lenetBn, 'lenet-bn.net').model!;
    const after = lib.analyze(lenetBn.replace('conv 6 k5', 'conv 8 k5'), 'lenet-bn.net').model!;
    const entry = lib.lockEntry(before);
    expect(lib.parseLock(lib.printLock({ lockfileVersion: 1, files: { 'lenet-bn.net': entry } })).lock!.files['lenet-bn.net']).toEqual(entry);
    expect(lib.checkLocked(entry, after, 'netc.lock').map((d) => [d.code, d.span.line])).toEqual([['NN6001', 7]]);
    expect(lib.diffModels(entry, lib.lockEntry(after)).rows.filter((row) => row.status === 'changed')).toHaveLength(5);
    expect(before.cost).toEqual({ macs: 281_640, flops: 563_280, activations: 15_438 });
  });
});
