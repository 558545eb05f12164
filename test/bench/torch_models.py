"""Any netc model in PyTorch, for `npm run bench` to compare netc against, served round by round.

The bench passes netc's checked model (the graph `analyze` returns: each node's op, arguments, inputs and shapes)
as JSON in a file; this script builds the same network from it in PyTorch (nn.Conv2d, nn.BatchNorm2d, ...; the
residual joins as additions; `bn impl=scratch` as d2l's from-formulas batch norm), with PyTorch on every core
(torch.set_num_threads(os.cpu_count())), and trains it like `netc train`: cross-entropy on the logits, the file's
optimizer (SGD, momentum or Adam) and batch, the loss read back every step, on a fixed synthetic batch.
Protocol: one JSON line {"torch", "threads", "params"} when ready; then for each stdin line `round N` it runs N steps
on all cores and N on one thread and prints their wall-clock times in milliseconds as one JSON line
{"all": [...], "one": [...]}; `quit` or end of input ends it.
Usage: python3 torch_models.py MODEL.json [--warmup N]
"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_lenet_bn import ScratchBN  # noqa: E402  (the same from-scratch batch norm as the LeNet-BN script)


def pair(v):
    return tuple(v) if isinstance(v, list) else (v, v)


def module_for(node):
    """The PyTorch module for one netc node (None for `add`, which the graph does itself)."""
    op, a, ins, outs = node['op'], node['args'], node['inputShape'], node['outputShape']
    if op == 'conv':
        return nn.Conv2d(ins[0], a['out'], pair(a['kernel']), stride=pair(a['stride']), padding=pair(a['pad']), bias=a['bias'])
    if op == 'dense':
        return nn.Linear(ins[0], a['out'], bias=a['bias'])
    if op == 'bn':
        features, dims = ins[0], (4 if len(ins) == 3 else 2)
        if a.get('impl') == 'scratch':
            return ScratchBN(features, dims)
        # netc's momentum 0.9 weighs the old moving statistic; PyTorch's momentum weighs the new batch one.
        cls = nn.BatchNorm2d if dims == 4 else nn.BatchNorm1d
        return cls(features, eps=a['eps'], momentum=1.0 - a['momentum'])
    if op == 'maxpool':
        return nn.MaxPool2d(pair(a['kernel']), stride=pair(a['stride']), padding=pair(a['pad']))
    if op == 'avgpool':
        return nn.AvgPool2d(pair(a['kernel']), stride=pair(a['stride']), padding=pair(a['pad']))
    if op == 'globalavgpool':
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()) if len(outs) == 1 else nn.AdaptiveAvgPool2d(1)
    if op == 'globalmaxpool':
        return nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten()) if len(outs) == 1 else nn.AdaptiveMaxPool2d(1)
    if op == 'flatten':
        return nn.Flatten()
    if op == 'dropout':
        return nn.Dropout(a['rate'])
    if op == 'relu':
        return nn.ReLU()
    if op == 'sigmoid':
        return nn.Sigmoid()
    if op == 'tanh':
        return nn.Tanh()
    if op == 'gelu':
        return nn.GELU()
    if op == 'leakyrelu':
        return nn.LeakyReLU(a['alpha'])
    if op == 'softmax':
        return nn.Softmax(dim=1)
    if op == 'add':
        return None
    raise SystemExit(f'torch_models.py: no PyTorch module for netc op {op!r}')


class Graph(nn.Module):
    """netc's checked graph: nodes in topological order, each fed by the nodes in `inputs` (-1: the model input)."""

    def __init__(self, nodes):
        super().__init__()
        self.inputs = [n['inputs'] for n in nodes]
        self.layers = nn.ModuleList([module_for(n) or nn.Identity() for n in nodes])
        self.is_add = [n['op'] == 'add' for n in nodes]
        # An output only later nodes read is kept; the others are dropped as soon as they are used.
        self.chain = all(ins == [i - 1] for i, ins in enumerate(self.inputs))

    def forward(self, x):
        if self.chain:
            for layer in self.layers:
                x = layer(x)
            return x
        values = {-1: x}
        for i, (layer, ins, add) in enumerate(zip(self.layers, self.inputs, self.is_add)):
            values[i] = values[ins[0]] + values[ins[1]] if add else layer(values[ins[0]])
        return values[len(self.layers) - 1]


def init(m):
    """Xavier-uniform weights and zero biases, as netc compiles them."""
    if isinstance(m, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def make_step(model, batch, train):
    torch.manual_seed(0)
    net = Graph(model['layers'])
    net.apply(init)
    net.train()
    lr, name = train['lr'], train['optimizer']
    if name == 'sgd':
        opt = torch.optim.SGD(net.parameters(), lr=lr)
    elif name == 'momentum':
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=train['momentum'])
    elif name == 'adam':
        opt = torch.optim.Adam(net.parameters(), lr=lr)
    else:
        raise SystemExit(f'torch_models.py: no optimizer {name!r}')
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, *model['input'])
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        y_hat = net(x)
        loss = loss_fn(y_hat, y)
        loss.backward()
        opt.step()
        # netc reads the loss back every step: so does this.
        return float(loss)

    return step, sum(p.numel() for p in net.parameters())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('model')
    parser.add_argument('--warmup', type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())
    with open(args.model, encoding='utf-8') as f:
        spec = json.load(f)
    step, params = make_step(spec['model'], spec['batch'], spec['train'])
    for _ in range(args.warmup):
        step()
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'params': params}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == 'quit':
            break
        times = {}
        # All cores (the figure the bench compares with), then one thread for reference: on a machine that other
        # processes keep busy, PyTorch's thread pool can lose more to waiting than the second core gives.
        for key, threads in (('all', os.cpu_count()), ('one', 1)):
            torch.set_num_threads(threads)
            times[key] = []
            for _ in range(int(words[1])):
                start = time.perf_counter()
                step()
                times[key].append((time.perf_counter() - start) * 1000)
        torch.set_num_threads(os.cpu_count())
        print(json.dumps(times), flush=True)


if __name__ == '__main__':
    main()
