"""PyTorch 1.13's learning rates for netc's schedules, stepped once per batch (test/train/schedule.test.ts).

Run: /usr/bin/python3 test/train/pytorch_schedules.py
Each case: 4 epochs of 5 steps (20 steps), base lr 0.1; prints one JSON line per case.
"""
import json
import torch

EPOCHS, STEPS = 4, 5
TOTAL = EPOCHS * STEPS


def rates(make):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = make(opt)
    out = []
    for _ in range(TOTAL):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def warm(opt, warmup_steps, main):
    linear = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.01, end_factor=1.0, total_iters=warmup_steps)
    return torch.optim.lr_scheduler.SequentialLR(opt, [linear, main], milestones=[warmup_steps])


L = torch.optim.lr_scheduler
cases = {
    "constant": lambda o: L.ConstantLR(o, factor=1.0, total_iters=0),
    "constant warmup=1": lambda o: warm(o, 5, L.ConstantLR(o, factor=1.0, total_iters=0)),
    "step step=1 gamma=0.5": lambda o: L.StepLR(o, step_size=5, gamma=0.5),
    "step warmup=1 step=2 gamma=0.1": lambda o: warm(o, 5, L.StepLR(o, step_size=10, gamma=0.1)),
    "cosine": lambda o: L.CosineAnnealingLR(o, T_max=TOTAL, eta_min=0),
    "cosine warmup=1": lambda o: warm(o, 5, L.CosineAnnealingLR(o, T_max=TOTAL - 5, eta_min=0)),
    "onecycle": lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=TOTAL, cycle_momentum=False),
    "onecycle warmup=1": lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=TOTAL, pct_start=1 / EPOCHS, cycle_momentum=False),
}
print("torch", torch.__version__)
for name, make in cases.items():
    print(json.dumps({"case": name, "lr": [float("%.10g" % r) for r in rates(make)]}))
