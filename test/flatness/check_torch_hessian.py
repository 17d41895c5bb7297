"""PyTorch's exact Hessian figures (double backward, float64) of vdm exports, for the parity tests:
the Hessian-vector product of a given vector, power iteration from vdm's start vector for vdm's
number of iterations, and z^T H z for vdm's Hutchinson probes. Loss: mean cross-entropy, eval mode
(BatchNorm on its running statistics), as vdm flatness measures it.

usage: check_torch_hessian.py CASES.json, a list of {"weights": file, "inputs": file,
"vectors": file, "spec": {...}, "iterations": n, "probes": n, "products": [prefix, ...]}. The inputs file holds "x" (NHWC) and
"labels" (as floats); the vectors file holds "v/NAME", vdm's products of v ("PREFIX/NAME", one per
prefix in "products"), "start/NAME" and "probeK/NAME" under the state dict's parameter names, in
PyTorch's layouts. Prints one JSON line per case: ||vdm's Hv - PyTorch's|| / ||PyTorch's|| per
prefix, the eigenvalue estimate and z^T H z per probe."""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "export"))
from check_torch_export import read_safetensors  # noqa: E402
from torch_models import build  # noqa: E402


def dot(a, b):
    return sum((a[name] * b[name]).sum() for name in a)


def check(case):
    weights, _ = read_safetensors(case["weights"])
    io, _ = read_safetensors(case["inputs"])
    vectors, _ = read_safetensors(case["vectors"])
    model = build(case["spec"])
    model.load_state_dict(weights, strict=True)
    model.double().eval()
    x = io["x"].double().permute(0, 3, 1, 2).contiguous()
    labels = io["labels"].long()
    params = dict(model.named_parameters())
    names = list(params)

    def vector(prefix):
        return {name: vectors[f"{prefix}/{name}"].double() for name in names}

    def hvp(v):
        loss = F.cross_entropy(model(x), labels)
        grads = torch.autograd.grad(loss, [params[n] for n in names], create_graph=True)
        inner = sum((g * v[n]).sum() for n, g in zip(names, grads))
        return dict(zip(names, torch.autograd.grad(inner, [params[n] for n in names])))

    hv = hvp(vector("v"))
    errors = {}
    for prefix in case["products"]:
        difference = {n: hv[n] - t for n, t in vector(prefix).items()}
        errors[prefix] = (dot(difference, difference) / dot(hv, hv)).sqrt().item()
    # vdm's power iteration: unit vector, product, Rayleigh quotient, normalise; a fixed count.
    start = vector("start")
    length = dot(start, start).sqrt()
    u = {n: t / length for n, t in start.items()}
    eigenvalue = float("nan")
    for _ in range(case["iterations"]):
        product = hvp(u)
        eigenvalue = dot(u, product).item()
        size = dot(product, product).sqrt()
        u = {n: t / size for n, t in product.items()}
    quadratic_forms = []
    for k in range(case["probes"]):
        z = vector(f"probe{k}")
        quadratic_forms.append(dot(z, hvp(z)).item())
    return {
        "model": case["spec"]["model"],
        "errors": errors,
        "eigenvalue": eigenvalue,
        "quadratic_forms": quadratic_forms,
    }


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    for case in cases:
        print(json.dumps(check(case)), flush=True)


if __name__ == "__main__":
    main()
