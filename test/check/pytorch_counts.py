"""Parameter counts of models/vgg-mini.net, models/resnet-mini.net and models/lenet-bn-blocks.net, from the
equivalent PyTorch modules, written by hand from the papers' block structure (not from netc's output).

Run with PyTorch 1.13: /usr/bin/python3 test/check/pytorch_counts.py
Its output is pasted into test/check/v2models.test.ts; the tests do not run this script.

Trainable = sum of p.numel() over parameters; non-trainable = the BatchNorm running mean and variance
(num_batches_tracked is a PyTorch counter, not a statistic, and netc does not count it).
Per-module rows are printed in forward order (a residual block's projection after its body, then the join).

The last part prints single layers of the kinds added later (leakyrelu, gelu, the global pools, layernorm):
their output shape and counts on an input, pasted into test/layers/shapes.test.ts.
"""
import torch
from torch import nn


def counts(module):
    trainable = sum(p.numel() for p in module.parameters(recurse=False))
    buffers = sum(b.numel() for name, b in module.named_buffers(recurse=False) if name != 'num_batches_tracked')
    return trainable, buffers


def vgg_block(n, c_in, c):
    layers = []
    for _ in range(n):
        layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU()]
        c_in = c
    return layers + [nn.MaxPool2d(2)]


def vgg_mini():
    return nn.Sequential(
        *vgg_block(1, 1, 8), *vgg_block(2, 8, 16), *vgg_block(2, 16, 32),
        nn.Flatten(), nn.Linear(32 * 3 * 3, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(64, 10))


class Residual(nn.Module):
    """torchvision's BasicBlock without the final relu: conv3x3-bn-relu-conv3x3-bn, plus x or a 1x1 projection of x."""

    def __init__(self, c_in, c, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
            nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        self.proj = nn.Conv2d(c_in, c, 1, stride=stride, bias=False) if stride != 1 or c_in != c else None

    def forward(self, x):
        return self.body(x) + (x if self.proj is None else self.proj(x))


def resnet_mini():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        Residual(16, 16, 1), nn.ReLU(),
        Residual(16, 32, 2), nn.ReLU(),
        Residual(32, 32, 1), nn.ReLU(),
        Residual(32, 64, 2), nn.ReLU(),
        nn.AvgPool2d(4), nn.Flatten(), nn.Linear(64, 10))


def lenet_bn():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.BatchNorm2d(6), nn.Sigmoid(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16), nn.Sigmoid(), nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(),
        nn.Linear(84, 10))


def rows(model, x):
    """(module class, output shape without the batch, trainable, non-trainable) for each leaf, in forward order."""
    found = []

    def hook(module, _inputs, output):
        found.append((type(module).__name__, list(output.shape[1:]), *counts(module)))

    leaves = [m for m in model.modules() if len(list(m.children())) == 0]
    handles = [m.register_forward_hook(hook) for m in leaves]
    for m in model.modules():
        if isinstance(m, Residual):
            handles.append(m.register_forward_hook(lambda _m, _i, out: found.append(('add', list(out.shape[1:]), 0, 0))))
    model.eval()
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return found


class GlobalPool(nn.Module):
    """netc's `globalavgpool`/`globalmaxpool`: the adaptive pool to 1x1, then flatten (C x H x W -> C)."""

    def __init__(self, pool):
        super().__init__()
        self.pool = pool

    def forward(self, x):
        return torch.flatten(self.pool(x), 1)


def new_kinds(pool):
    """test/cli/layers.test.ts's model with the later kinds; `pool` is the global pool it ends its maps with."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.LayerNorm([8, 28, 28]), nn.LeakyReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3), nn.GELU(), GlobalPool(pool),
        nn.Linear(16, 32), nn.LayerNorm(32), nn.LeakyReLU(0.2),
        nn.Linear(32, 10))


def single_layers():
    """(netc layer, input as netc writes it, PyTorch module) for each row of shapes.test.ts marked "torch"."""
    return [
        ('leakyrelu', '120', nn.LeakyReLU()),
        ('leakyrelu 0.2', '6x24x24', nn.LeakyReLU(0.2)),
        ('gelu', '120', nn.GELU()),
        ('gelu', '6x24x24', nn.GELU()),
        ('globalavgpool', '16x5x5', GlobalPool(nn.AdaptiveAvgPool2d(1))),
        ('globalmaxpool', '64x7x3', GlobalPool(nn.AdaptiveMaxPool2d(1))),
        ('layernorm', '120', nn.LayerNorm(120)),
        ('layernorm eps=1e-3', '10', nn.LayerNorm(10, eps=1e-3)),
        ('layernorm', '6x24x24', nn.LayerNorm([6, 24, 24])),
        ('layernorm', '16x5x5', nn.LayerNorm([16, 5, 5])),
    ]


if __name__ == '__main__':
    x = torch.zeros(2, 1, 28, 28)
    models = [('vgg-mini', vgg_mini), ('resnet-mini', resnet_mini), ('lenet-bn-blocks', lenet_bn),
              ('new-kinds (globalavgpool)', lambda: new_kinds(nn.AdaptiveAvgPool2d(1))),
              ('new-kinds (globalmaxpool)', lambda: new_kinds(nn.AdaptiveMaxPool2d(1)))]
    for name, make in models:
        model = make()
        trainable = sum(p.numel() for p in model.parameters())
        buffers = sum(b.numel() for n, b in model.named_buffers() if not n.endswith('num_batches_tracked'))
        print(f'{name}: trainable {trainable}, non-trainable {buffers}')
        for row in rows(model, x):
            print('   ', row)
    print('single layers: netc layer on input -> output shape, trainable, non-trainable')
    for layer, shape, module in single_layers():
        x = torch.zeros(2, *[int(n) for n in shape.split('x')])
        trainable = sum(p.numel() for p in module.parameters())
        buffers = sum(b.numel() for b in module.buffers())
        print(f'    {layer!r} on {shape}: {list(module(x).shape[1:])} {trainable} {buffers}')
