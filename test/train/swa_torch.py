"""Stochastic weight averaging with PyTorch's own torch.optim.swa_utils (AveragedModel, update_bn,
SWALR), fed the weight sequence and batches vdm was given, for comparison with vdm's SWA. Uses no
vdm code beyond the shared readers in test/export (safetensors by its specification, the PyTorch
definitions of vdm's models).

usage: swa_torch.py CASE.json with {"spec": {...}, "snapshots": [file, ...], "batches": file,
"average": file, "schedules": [{...}, ...]}. Each snapshot is a state dict exported by vdm; the
batches file holds x0, x1, ... (NHWC); "average" is vdm's averaged model after its BatchNorm
statistics were recomputed. Prints one JSON object: the largest differences in the averaged
weights and in the recomputed statistics, and SWALR's learning rate for each epoch of each
schedule case."""
import json
import os
import sys
import warnings

import torch
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "export"))
from check_torch_export import read_safetensors  # noqa: E402
from torch_models import build  # noqa: E402

STATISTICS = ("running_mean", "running_var")


def averaged(case):
    model = build(case["spec"])
    swa_model = None
    for file in case["snapshots"]:
        weights, _ = read_safetensors(file)
        model.load_state_dict(weights, strict=True)
        if swa_model is None:
            swa_model = AveragedModel(model)
        swa_model.update_parameters(model)
    io, _ = read_safetensors(case["batches"])
    loader = [io[f"x{i}"].permute(0, 3, 1, 2).contiguous() for i in range(len(io))]
    update_bn(loader, swa_model)
    return swa_model.module.state_dict(), int(swa_model.n_averaged)


def compare(torch_state, vdm_file):
    vdm, _ = read_safetensors(vdm_file)
    out = {"weights_max_abs_diff": 0.0, "weights_max_abs": 0.0, "statistics_max_abs_diff": 0.0, "statistics_max_abs": 0.0, "statistics": 0}
    for name, value in torch_state.items():
        if name.endswith("num_batches_tracked"):
            continue
        kind = "statistics" if name.endswith(STATISTICS) else "weights"
        out[f"{kind}_max_abs_diff"] = max(out[f"{kind}_max_abs_diff"], (value - vdm[name]).abs().max().item())
        out[f"{kind}_max_abs"] = max(out[f"{kind}_max_abs"], value.abs().max().item())
        if kind == "statistics":
            out["statistics"] += 1
    return out


def swalr_rates(s):
    """The swa_utils recipe: the base scheduler until SWA starts, then SWALR stepped after each averaged epoch."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=s["base_lr"])
    base = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=s["epochs"])
    swa = SWALR(opt, swa_lr=s["swa_lr"], anneal_epochs=s["anneal_epochs"], anneal_strategy=s["anneal_strategy"])
    rates = []
    for epoch in range(1, s["epochs"] + 1):
        rates.append(opt.param_groups[0]["lr"])  # the rate this epoch trains at
        opt.step()
        (swa if epoch >= s["start_epoch"] else base).step()
    return rates


def main():
    warnings.simplefilter("ignore")  # SWALR's construction steps the scheduler before the optimizer
    with open(sys.argv[1]) as f:
        case = json.load(f)
    state, n = averaged(case)
    result = compare(state, case["average"])
    result["n_averaged"] = n
    result["rates"] = [swalr_rates(s) for s in case["schedules"]]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
