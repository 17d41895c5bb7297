"""One SAM or ASAM step in PyTorch, written from the papers (Foret et al. 2021, Kwon et al. 2021)
independently of vdm's TypeScript, compared with vdm's step from the same weights, batch and
BatchNorm state. Prints one JSON line per case: the largest differences in the parameters and in
the running statistics, and how far the running statistics moved.

usage: sam_torch.py CASES.json, a list of {"before": file, "after": file, "batch": file, "spec": {...},
"optimizer": {...}, "vdm": {...}}; "batch" holds "x" (NHWC) and "y" (labels as floats)."""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "export"))
from check_torch_export import read_safetensors  # noqa: E402
from torch_models import build  # noqa: E402


def deform(loss, vdm):
    """phi of the mean batch loss; autograd gives phi'(L) * grad L."""
    if vdm["name"] == "none":
        return loss
    if vdm["name"] == "log":
        return vdm["a"] * torch.log1p(loss / vdm["b"])
    raise ValueError(vdm["name"])


def base_optimizer(params, o):
    if o["base"] == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"], nesterov=o["nesterov"], weight_decay=o["weight_decay"])
    betas = (o["beta1"], o["beta2"])
    kind = torch.optim.Adam if o["base"] == "adam" else torch.optim.AdamW
    return kind(params, lr=o["lr"], betas=betas, eps=o["epsilon"], weight_decay=o["weight_decay"])


def objective(model, x, y, vdm):
    return deform(F.cross_entropy(model(x), y), vdm)


def sam_step(model, opt, x, y, o, vdm):
    named = [(n, p) for n, p in model.named_parameters()]
    opt.zero_grad()
    objective(model, x, y, vdm).backward()
    with torch.no_grad():
        # ASAM's T_w: |w| + eta on PyTorch's `weight` tensors (convolutions, linear, BatchNorm scales).
        scale = {n: (p.abs() + o["eta"]) if o["adaptive"] and n.endswith("weight") else torch.ones_like(p) for n, p in named}
        norm = torch.norm(torch.stack([(scale[n] * p.grad).norm(p=2) for n, p in named]), p=2)
        start = {n: p.detach().clone() for n, p in named}
        for n, p in named:
            p.add_(scale[n] * scale[n] * p.grad * (o["rho"] / (norm + 1e-12)))
    running = {k: v.clone() for k, v in model.named_buffers() if k.endswith(("running_mean", "running_var"))}
    opt.zero_grad()
    objective(model, x, y, vdm).backward()
    with torch.no_grad():
        for n, p in named:
            p.copy_(start[n])
        if o["bn"] == "first":
            buffers = dict(model.named_buffers())
            for k, v in running.items():
                buffers[k].copy_(v)
    opt.step()


def max_diff(model, expected, keys):
    state = model.state_dict()
    return max((state[k] - expected[k]).abs().max().item() for k in keys)


class KinkMargin:
    """The smallest |input| of any ReLU in the passes run: the distance from the nearest kink.
    Within float rounding of a kink, two correct implementations may take different branches."""

    def __init__(self):
        self.margin = float("inf")
        self.relu = F.relu

    def __enter__(self):
        def watched(t, *args, **kwargs):
            self.margin = min(self.margin, t.detach().abs().min().item())
            return self.relu(t, *args, **kwargs)

        F.relu = watched
        return self

    def __exit__(self, *exc):
        F.relu = self.relu


def stepped(case, before, batch, o):
    model = build(case["spec"])
    model.load_state_dict(before, strict=True)
    model.train()
    x = batch["x"].permute(0, 3, 1, 2).contiguous()
    y = batch["y"].long()
    sam_step(model, base_optimizer(model.parameters(), o), x, y, o, case["vdm"])
    return model


def check(case):
    before, _ = read_safetensors(case["before"])
    after, _ = read_safetensors(case["after"])
    batch, _ = read_safetensors(case["batch"])
    o = case["optimizer"]
    with KinkMargin() as kink:
        model = stepped(case, before, batch, o)
    params = [n for n, _ in model.named_parameters()]
    stats = [k for k in after if k.endswith(("running_mean", "running_var"))]
    # The other bn setting must not agree: the test can tell the two apart.
    other = stepped(case, before, batch, {**o, "bn": "both" if o["bn"] == "first" else "first"})
    return {
        "case": case["name"],
        "param_max_abs_diff": max_diff(model, after, params),
        "running_stats_max_abs_diff": max_diff(model, after, stats),
        "other_bn_running_stats_diff": max_diff(other, after, stats),
        "running_stats_moved": max((after[k] - before[k]).abs().max().item() for k in stats),
        "relu_margin": kink.margin,
        "params_moved": max((after[k] - before[k]).abs().max().item() for k in params),
    }


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    for case in cases:
        print(json.dumps(check(case)), flush=True)


if __name__ == "__main__":
    main()
