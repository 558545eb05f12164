"""Reference outputs of the layer kinds leakyrelu, gelu, globalavgpool, globalmaxpool and layernorm, from PyTorch.

Run with PyTorch 1.13: /usr/bin/python3 test/layers/pytorch_layers.py
Its output is pasted into test/layers/numeric.test.ts; the tests do not run this script. Every input and weight is
a multiple of 1/16 (exact in float32), made by the same formulas in the test, and PyTorch computes in float64.
"""
import torch
from torch import nn

torch.set_default_dtype(torch.float64)


def line(values):
    return torch.flatten(values).tolist()


def show(name, values):
    numbers = ', '.join(f'{v:.10g}' for v in line(values))
    print(f'  {name}: [{numbers}],')


# 25 values from -6 to 6 in steps of 0.5, for the elementwise kinds.
ramp = torch.arange(-12, 13) / 2
# A batch of two 2 x 3 x 3 maps (N, C, H, W): value i of the NCHW order is ((37 i) mod 29 - 14) / 4.
image = ((torch.arange(36) * 37 % 29 - 14) / 4).reshape(2, 2, 3, 3)
# A batch of two 10-feature vectors: ((11 i) mod 17 - 8) / 2, with one large value so the statistics are uneven.
flat = ((torch.arange(20) * 11 % 17 - 8) / 2).reshape(2, 10)
flat[1, 3] = 40


def affine(norm):
    """gamma_j = 1 + ((13 j) mod 7 - 3) / 8, beta_j = ((5 j) mod 11 - 5) / 16 over the normalised values in order."""
    n = norm.weight.numel()
    j = torch.arange(n)
    with torch.no_grad():
        norm.weight.copy_((1 + (j * 13 % 7 - 3) / 8).reshape(norm.weight.shape))
        norm.bias.copy_(((j * 5 % 11 - 5) / 16).reshape(norm.bias.shape))
    return norm


print('export const pytorch = {')
show('leakyrelu', nn.LeakyReLU()(ramp))
show('leakyrelu02', nn.LeakyReLU(0.2)(ramp))
show('gelu', nn.GELU()(ramp))
show('globalavgpool', torch.flatten(nn.AdaptiveAvgPool2d(1)(image), 1))
show('globalmaxpool', torch.flatten(nn.AdaptiveMaxPool2d(1)(image), 1))
show('layernormFlat', affine(nn.LayerNorm(10))(flat))
show('layernormFlatEps', affine(nn.LayerNorm(10, eps=1e-3))(flat))
show('layernormImage', affine(nn.LayerNorm([2, 3, 3]))(image))
print('};')
