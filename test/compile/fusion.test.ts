import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileGraph } from '../../src/compile/compile.js';
import { planFusion } from '../../src/compile/fused/fusion.js';
import { checkSource } from '../check/harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const resnet = readFileSync(join(root, 'models', 'resnet-mini.net'), 'utf8');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the fast path\'s fusion plan', () => {
  test('every bn takes the activation after it; every residual join read only by a relu takes that relu', () => {
    const model = checkSource(resnet).model!;
    const plan = planFusion(model);
    const joins = model.layers.filter((l) => l.op === 'add');
    expect(joins.length).toBe(4);
    expect([...plan.joins.keys()].sort((a, b) => a - b)).toEqual(joins.map((j) => j.index));
    // Each fused join's one reader, a relu, passes through; so does each relu after a bn.
    for (const j of joins) {
      const reader = model.layers.find((l) => l.inputs.includes(j.index))!;
      expect(reader.op).toBe('relu');
      expect(plan.nodes.has(reader.index)).toBe(true);
    }
  });

  test('a join read by anything but one relu is left a plain sum', () => {
    const model = checkSource(`model m
input 4x6x6
residual { conv 4 k3 p1 | bn }
conv 2 k1
`).model!;
    expect(planFusion(model).joins.size).toBe(0);
  });

  test('compiled: the joins are NetcFusedAddActivation layers named as their nodes, the relus linear, the node map unchanged', () => {
    const model = checkSource(resnet).model!;
    const plain = compileGraph(model, { seed: 1 });
    const fused = compileGraph(model, { seed: 1, fuse: true });
    expect(fused.nodes.map((n) => [n.index, n.op, n.output])).toEqual(plain.nodes.map((n) => [n.index, n.op, n.output]));
    const joinNames = fused.nodes.filter((n) => n.op === 'add').map((n) => n.output);
    for (const name of joinNames) expect(fused.model.getLayer(name).getClassName()).toBe('NetcFusedAddActivation');
    // tfjs numbers a weight name seen before in the process (`kernel_1`): compared without that suffix.
    const names = (m: tf.LayersModel): string[] => m.weights.map((w) => w.name.replace(/_\d+$/, ''));
    expect(names(fused.model)).toEqual(names(plain.model));
  });
});
