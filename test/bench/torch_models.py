"""Any netc model in PyTorch, for `npm run bench` to compare netc against, served round by round.

The bench passes, as JSON in a file, the model's `model.py` exactly as `netc export --to pytorch` writes it
(src/export/pytorchModel.ts: nn.Conv2d, nn.BatchNorm2d, ...; residual joins as sums; `bn impl=scratch` as d2l's
from-formulas batch norm), the batch and the optimizer; this script trains its `Net()` with PyTorch on every core
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


def init(m):
    """Xavier-uniform weights and zero biases, as netc compiles them."""
    if isinstance(m, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def make_step(model, batch, train):
    torch.manual_seed(0)
    # model.py as `netc export --to pytorch` writes it: the file runs in a namespace of its own.
    namespace = {'__name__': 'netc_export_model'}
    exec(compile(model['modelPy'], 'model.py', 'exec'), namespace)
    net = namespace['Net']()
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


def blas_library():
    """The BLAS this process loaded (its path from /proc/self/maps), or None: Debian's torch links libblas.so.3,
    which is the reference BLAS unless an optimised one (OpenBLAS, BLIS) is installed as its alternative."""
    try:
        with open('/proc/self/maps', encoding='utf-8') as maps:
            paths = {line.split()[-1] for line in maps if 'blas' in line}
    except OSError:
        return None
    for path in sorted(paths):
        name = os.path.basename(path)
        if 'blas' in path and (name.startswith('libblas') or name.startswith('libopenblas') or name.startswith('libblis')):
            return os.path.realpath(path)
    return None


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
    ready = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'params': params, 'blas': blas_library()}
    print(json.dumps(ready), flush=True)
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
