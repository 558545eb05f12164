/**
 * Small models that between them use every layer kind and every argument an exporter translates differently:
 * `same` padding with an odd total (TensorFlow puts the extra row at the bottom), uneven explicit padding, convolutions
 * and dense layers without bias, both batch-norm implementations on both ranks with unusual momentum and epsilon,
 * padded pools (average counts the padding, max pads with -infinity), softmax over channels and at the end, dropout
 * (the identity in inference), flatten of a 1x1 map, residual joins direct and through projections, and the kinds
 * of issue 9 (layernorm on both ranks, leakyrelu, gelu, the global pools).
 */
export const layerKindModels: Readonly<Record<string, string>> = {
  conv_padding: `model conv_padding
input 2x9x11
conv 4 k3 s2 p=same | relu
conv 5 k3x2 s1x2 p1x0 bias=false | tanh
conv 3 k2 p=same
flatten
dense 7 bias=false
`,
  batch_norms: `model batch_norms
input 3x6x6
conv 4 k3 | bn momentum=0.8 eps=0.001 | sigmoid
conv 4 k1 | bn impl=scratch eps=0.01
flatten
dense 6 | bn impl=scratch momentum=0.5 | relu
dense 5 | bn eps=0.0001
`,
  pools: `model pools
input 2x10x10
avgpool 3 s2 p1
maxpool 3 s2 p1
conv 3 k1 | softmax
maxpool 2
flatten
dense 4 | dropout 0.3 | softmax
`,
  flat: `model flat
input 20
dense 12 | relu | dropout 0.5
dense 6 | sigmoid
dense 3
`,
  new_kinds: `model new_kinds
input 3x8x8
conv 4 k3 p1 | layernorm eps=0.001 | leakyrelu 0.2
conv 4 k3 p1 | gelu
residual { conv 4 k1 | layernorm }
globalavgpool | layernorm
dense 6 | leakyrelu | gelu
`,
  global_max: `model global_max
input 2x7x5
conv 5 k3 | globalmaxpool
dense 3
`,
  residuals: `model residuals
input 3x8x8
conv 4 k3 p1 | relu
residual { conv 4 k3 p1 | bn | relu | conv 4 k3 p1 }
residual proj { conv 6 k3 s2 p1 bias=false | bn } | relu
avgpool 4
flatten
residual proj { dense 9 | relu }
residual { dense 9 | tanh }
dense 4
`,
};
