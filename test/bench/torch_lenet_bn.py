"""LeNet-BN training step in PyTorch, for `npm run bench` to compare netc against.

Trains d2l's LeNet with batch norm (SGD lr 1.0, batch 256, synthetic data) with PyTorch's
built-in BatchNorm2d/1d and with a batch norm written from the formulas, interleaved, and prints
one JSON line: {"torch": version, "threads": n, "builtin": ex/s, "scratch": ex/s, "builtin_cpu": ex/s,
"scratch_cpu": ex/s}: examples/second from the median step time, wall-clock and process CPU time (the
second is steadier on a shared machine).
Usage: python3 torch_lenet_bn.py [--batches N] [--warmup N] [--batch B]
"""
import argparse
import json
import time

import torch
from torch import nn


def batch_norm(x, gamma, beta, moving_mean, moving_var, eps, momentum, training):
    """The seed's from-scratch batch norm: batch statistics while training, moving ones in inference."""
    if not training:
        x_hat = (x - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        if x.dim() == 2:
            mean = x.mean(dim=0)
            var = ((x - mean) ** 2).mean(dim=0)
        else:
            mean = x.mean(dim=(0, 2, 3), keepdim=True)
            var = ((x - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        x_hat = (x - mean) / torch.sqrt(var + eps)
        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
        moving_var = momentum * moving_var + (1.0 - momentum) * var
    return gamma * x_hat + beta, moving_mean.data, moving_var.data


class ScratchBN(nn.Module):
    """d2l's BatchNorm layer (num_dims 2 for dense inputs, 4 for convolution maps)."""

    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, x):
        y, self.moving_mean, self.moving_var = batch_norm(
            x, self.gamma, self.beta, self.moving_mean, self.moving_var,
            eps=1e-5, momentum=0.9, training=self.training)
        return y


def lenet_bn(scratch):
    """LeNet-BN as in models/lenet-bn.net; scratch picks the from-formulas batch norm."""
    bn2 = (lambda c: ScratchBN(c, 4)) if scratch else nn.BatchNorm2d
    bn1 = (lambda f: ScratchBN(f, 2)) if scratch else nn.BatchNorm1d
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), bn2(6), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, kernel_size=5), bn2(16), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(256, 120), bn1(120), nn.Sigmoid(),
        nn.Linear(120, 84), bn1(84), nn.Sigmoid(),
        nn.Linear(84, 10))

    def init(m):
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    net.apply(init)
    return net


def make_step(scratch, batch):
    """d2l's train_ch6 step on a fixed synthetic batch (SGD lr 1.0), for LeNet-BN with either batch norm."""
    torch.manual_seed(0)
    net = lenet_bn(scratch)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        y_hat = net(x)
        loss = loss_fn(y_hat, y)
        loss.backward()
        opt.step()
        # d2l reads the summed loss and the hit count back every step: so does netc.
        with torch.no_grad():
            return float(loss) * batch, int((y_hat.argmax(dim=1) == y).sum())

    return step


def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def measure(batches, warmup, batch, rounds=5):
    """Examples/second of each batch norm from the median step time (wall-clock, and CPU time), the
    two interleaved in rounds so that a busy machine slows both alike."""
    steps = {'builtin': make_step(False, batch), 'scratch': make_step(True, batch)}
    times = {name: [] for name in steps}
    cpu = {name: [] for name in steps}
    for step in steps.values():
        for _ in range(warmup):
            step()
    per_round = max(1, batches // rounds)
    for _ in range(rounds):
        for name, step in steps.items():
            for _ in range(per_round):
                start = time.perf_counter()
                cpu_start = time.process_time()
                step()
                cpu[name].append(time.process_time() - cpu_start)
                times[name].append(time.perf_counter() - start)
    result = {name: batch / median(t) for name, t in times.items()}
    result.update({name + '_cpu': batch / median(t) for name, t in cpu.items()})
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--batches', type=int, default=30)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--batch', type=int, default=256)
    args = parser.parse_args()
    result = {'torch': torch.__version__, 'threads': torch.get_num_threads()}
    result.update(measure(args.batches, args.warmup, args.batch))
    print(json.dumps(result))


if __name__ == '__main__':
    main()
