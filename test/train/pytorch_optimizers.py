"""PyTorch 1.13's weights after 3 steps of each recipe netc offers (test/train/optimizer.test.ts).

Run: /usr/bin/python3 test/train/pytorch_optimizers.py
The rates 0.1, 0.05, 0.025 are netc's `schedule=step step=1 gamma=0.5` over one step per epoch.
Loss: sum((x @ W + b - t)^2) on fixed numbers; W (2x3) decays, b (3) does not (netc skips rank-1 weights),
as PyTorch's param groups say it. Adam's eps is tfjs's 1e-7; RMSprop's alpha is 0.99 (tfjs's eps 1e-7 sits inside
the square root, PyTorch's outside: the two part where a gradient is near 0, as the bias's become, so
RMSprop's case trains W alone at a smaller rate, with a looser tolerance).
"""
import json
import torch

x = torch.tensor([[0.5, -1.0], [1.5, 2.0], [-0.3, 0.8]], dtype=torch.float64)
t = torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.25, 2.0], [0.0, 1.0, 0.0]], dtype=torch.float64)
W0 = [[0.3, -0.2, 0.3], [0.4, 0.5, -0.6]]
b0 = [0.05, -0.05, 0.1]


def run(make, wd, clip=None, lrs=(0.1, 0.05, 0.025), bias=True):
    W = torch.nn.Parameter(torch.tensor(W0, dtype=torch.float64))
    b = torch.nn.Parameter(torch.tensor(b0, dtype=torch.float64), requires_grad=bias)
    groups = [{"params": [W], "weight_decay": wd}] + ([{"params": [b], "weight_decay": 0.0}] if bias else [])
    opt = make(groups)
    for lr in lrs:
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad()
        loss = ((x @ W + b - t) ** 2).sum()
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_([W, b] if bias else [W], clip)
        opt.step()
    return {"W": [round(v, 10) for v in W.detach().flatten().tolist()], "b": [round(v, 10) for v in b.detach().tolist()]}


O = torch.optim
cases = {
    "sgd wd=0.1": run(lambda p: O.SGD(p, lr=0.1), 0.1),
    "momentum nesterov wd=0.05": run(lambda p: O.SGD(p, lr=0.1, momentum=0.9, nesterov=True), 0.05),
    "adam wd=0.01": run(lambda p: O.Adam(p, lr=0.1, eps=1e-7), 0.01),
    "adamw wd=0.1": run(lambda p: O.AdamW(p, lr=0.1, eps=1e-7), 0.1),
    "rmsprop wd=0.01 lr=0.01 nobias": run(lambda p: O.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-7), 0.01, lrs=(0.01, 0.005, 0.0025), bias=False),
    "sgd clip=1": run(lambda p: O.SGD(p, lr=0.1), 0.0, clip=1.0),
}
print("torch", torch.__version__)
for name, result in cases.items():
    print(json.dumps({"case": name, **result}))
