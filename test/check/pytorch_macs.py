"""MACs (multiply-accumulates) of every model in models/, counted on the equivalent PyTorch modules with forward
hooks, the way torchinfo counts the "Mult-Adds" of weighted layers: a convolution's weight elements times its output
positions (Cout * Hout * Wout * Cin/groups * kh * kw), a linear layer's weight elements (in * out); bias additions,
batch norm, pooling, activations and a residual join count 0. Also each model's activation memory: the elements of
every leaf module's output (and of each residual join), for one example.

Run with PyTorch 1.13: /usr/bin/python3 test/check/pytorch_macs.py
Its output is pasted into test/check/macs.test.ts; the tests do not run this script. The modules are the ones
test/check/pytorch_counts.py writes by hand from the papers (that script's parameter counts match netc's).
"""
import math

import torch
from torch import nn

from pytorch_counts import Residual, lenet_bn, new_kinds, resnet_mini, vgg_mini


def lenet():
    """d2l's LeNet-5: the first convolution pads by 2, sigmoid activations, 2x2 average pooling."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def mlp_bn():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256), nn.BatchNorm1d(256), nn.ReLU(),
        nn.Linear(256, 128), nn.BatchNorm1d(128), nn.ReLU(),
        nn.Linear(128, 10))


def macs_of(module, output):
    """torchinfo's rule for a weighted layer, for one example (the batch dimension left out)."""
    if isinstance(module, nn.Conv2d):
        return module.weight.numel() * math.prod(output.shape[2:])
    if isinstance(module, nn.Linear):
        return module.weight.numel()
    return 0


def rows(model, x):
    """(module class, output shape without the batch, MACs) for each leaf and residual join, in forward order."""
    found = []

    def hook(module, _inputs, output):
        found.append((type(module).__name__, list(output.shape[1:]), macs_of(module, output)))

    handles = [m.register_forward_hook(hook) for m in model.modules() if len(list(m.children())) == 0]
    for m in model.modules():
        if isinstance(m, Residual):
            handles.append(m.register_forward_hook(lambda _m, _i, out: found.append(('add', list(out.shape[1:]), 0))))
    model.eval()
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return found


if __name__ == '__main__':
    x = torch.zeros(2, 1, 28, 28)
    # lenet-bn-scratch, lenet-bn-blocks and lenet-bn-contract are lenet-bn written differently: the same modules.
    for name, make in [('lenet', lenet), ('lenet-bn', lenet_bn), ('mlp-bn', mlp_bn), ('vgg-mini', vgg_mini),
                       ('resnet-mini', resnet_mini),
                       # test/cli/layers.test.ts's file of the layers added later (layernorm, leakyrelu, gelu, a global pool).
                       ('new-kinds', lambda: new_kinds(nn.AdaptiveAvgPool2d(1)))]:
        found = rows(make(), x)
        macs = sum(r[2] for r in found)
        activations = sum(math.prod(r[1]) for r in found)
        print(f'{name}: macs {macs}, activations {activations}')
        print('    macs per row:', [r[2] for r in found])
