"""Parameter counts of the PyTorch reference modules (torch_models.py) at full size, to set beside
vdm's. usage: count_torch_params.py SPECS.json (a list of build() specs); prints one JSON list."""
import json
import sys

import torch

from torch_models import build


def main():
    with open(sys.argv[1]) as f:
        specs = json.load(f)
    # Counting needs shapes, not values: skip the random init of tens of millions of weights.
    for module in (torch.nn.Conv2d, torch.nn.Linear):
        module.reset_parameters = lambda self: None
    torch.set_grad_enabled(False)
    counts = []
    for spec in specs:
        model = build(spec)
        counts.append(sum(p.numel() for p in model.parameters()))
        del model
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
