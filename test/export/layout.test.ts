import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { compileGraph, nodeLayerName } from '../../src/compile/compile.js';
import { nodeName } from '../../src/export/graph.js';
import { onnxSchemaModule } from '../../src/export/onnx/schemaModule.js';
import { pytorchModelSource } from '../../src/export/pytorchModel.js';
import { fromStateDict, toStateDict, transpose } from '../../src/export/stateDict.js';
import { checked, testWeights } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('transpose', () => {
  test('moves tfjs conv kernels [kh, kw, cin, cout] to PyTorch [cout, cin, kh, kw] by the index formula', () => {
    const [kh, kw, cin, cout] = [2, 3, 4, 5];
    const values = Float32Array.from({ length: kh * kw * cin * cout }, (_, i) => i);
    const out = transpose(values, [kh, kw, cin, cout], [3, 2, 0, 1]);
    for (let o = 0; o < cout; o++)
      for (let c = 0; c < cin; c++)
        for (let y = 0; y < kh; y++)
          for (let x = 0; x < kw; x++) {
            expect(out[((o * cin + c) * kh + y) * kw + x]).toBe(values[((y * kw + x) * cin + c) * cout + o]);
          }
  });

  test('a dense kernel [in, out] becomes [out, in]', () => {
    expect(Array.from(transpose(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0]))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

test('toStateDict and fromStateDict are inverses, and the state dict has PyTorch\'s keys and shapes', () => {
  const model = checked('m.net', 'model m\ninput 2x6x6\nconv 3 k3 | bn | relu\nflatten\ndense 4 bias=false | bn impl=scratch\ndense 2\n');
  const weights = testWeights(model);
  const state = toStateDict(model, weights);
  expect(state.map((e) => [e.key, e.shape.join('x'), e.dtype])).toEqual([
    ['conv_1.weight', '3x2x3x3', 'float32'],
    ['conv_1.bias', '3', 'float32'],
    ['bn_2.weight', '3', 'float32'],
    ['bn_2.bias', '3', 'float32'],
    ['bn_2.running_mean', '3', 'float32'],
    ['bn_2.running_var', '3', 'float32'],
    ['bn_2.num_batches_tracked', '', 'int64'],
    ['dense_5.weight', '4x48', 'float32'],
    ['bn_6.weight', '4', 'float32'],
    ['bn_6.bias', '4', 'float32'],
    ['bn_6.running_mean', '4', 'float32'],
    ['bn_6.running_var', '4', 'float32'],
    ['dense_7.weight', '2x4', 'float32'],
    ['dense_7.bias', '2', 'float32'],
  ]);
  const back = fromStateDict(model, state.map((e) => ({ name: e.key, shape: e.shape, values: e.values })));
  const byName = new Map(weights.map((w) => [w.name, w]));
  for (const w of back) expect(Array.from(w.values), w.name).toEqual(Array.from(byName.get(w.name)!.values));
  expect(back.map((w) => w.name).sort()).toEqual(weights.map((w) => w.name).sort());
});

test('export node names are the compiler\'s tfjs layer names', () => {
  const model = checked('m.net', readFileSync(resolve(root, 'models/resnet-mini.net'), 'utf8'));
  const graph = compileGraph(model, { seed: 1 });
  try {
    for (const layer of model.layers) expect(nodeName(layer)).toBe(nodeLayerName(layer.op, layer.index));
    for (const node of graph.nodes) expect(node.output).toBe(nodeName(model.layers[node.index]!));
  } finally {
    graph.model.dispose();
  }
});

test('onnxSchema.ts is generated from onnx.proto (npm run onnx-schema)', () => {
  const proto = readFileSync(resolve(root, 'src/export/onnx/onnx.proto'), 'utf8');
  expect(readFileSync(resolve(root, 'src/export/onnx/onnxSchema.ts'), 'utf8')).toBe(onnxSchemaModule(proto));
});

// The generators of Python source and of the ONNX graph are front-end safe, as the exporters' brief asks: they
// import no TensorFlow.js and no Node module, so a browser or the language server can use them.
test.each(['graph.ts', 'pythonText.ts', 'pytorchModel.ts', 'pytorchTrain.ts', 'stateDict.ts', 'onnx/onnxGraph.ts'])(
  'src/export/%s imports no tfjs and no node:* module',
  (file) => {
    const source = readFileSync(resolve(root, 'src/export', file), 'utf8');
    const imports = [...source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
    for (const specifier of imports) {
      expect(specifier.startsWith('.'), `${file} imports ${specifier}`).toBe(true);
      // Relative imports stay among the front-end-safe files and the checker's types.
      expect(specifier).not.toMatch(/compile|backend|train|cli|node:/);
    }
  },
);

test('model.py writes each block use as a method that forward calls, residual sums inside it', () => {
  const model = checked('resnet-mini.net', readFileSync(resolve(root, 'models/resnet-mini.net'), 'utf8'));
  const text = pytorchModelSource(model, { source: 'models/resnet-mini.net', netcVersion: 'test' });
  const forward = text.slice(text.indexOf('    def forward(self, x):'), text.indexOf('    def block_basic_1(self, x):'));
  expect(forward.split('\n').filter((line) => line.includes('self.block_'))).toEqual([
    '        x = self.block_basic_1(x)',
    '        x = self.block_down_1(x)',
    '        x = self.block_basic_2(x)',
    '        x = self.block_down_2(x)',
  ]);
  expect(text).toContain('    def block_down_1(self, x):\n        """Block `down` used at line 16, column 1: [N, 16, 14, 14] -> [N, 32, 7, 7]."""\n        x11 = x\n');
  expect(text).toContain('        x = self.conv_17(x11)\n        x = x + x16\n');
  expect(text).toContain('self.bn_2 = nn.BatchNorm2d(16, eps=0.00001, momentum=0.1)');
});
