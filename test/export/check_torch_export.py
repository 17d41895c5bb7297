"""Loads a vdm safetensors export into its PyTorch definition with load_state_dict(strict=True) and
compares eval-mode logits with vdm's, and training-mode ones (BatchNorm on the batch's statistics)
where vdm gave them. Reads safetensors by the format's specification (no vdm code, no safetensors
package). Prints one JSON line per case; exits non-zero on any mismatch.

usage: check_torch_export.py CASES.json, a list of {"weights": file, "inputs": file, "spec": {...}};
each inputs file holds "x" (NHWC, as vdm took it), "logits" (vdm's, eval mode) and optionally
"train_logits" (vdm's, training mode, dropout off)."""
import json
import struct
import sys

import torch

from torch_models import build

DTYPES = {"F32": (torch.float32, 4), "I64": (torch.int64, 8)}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    assert all(isinstance(v, str) for v in metadata.values()), "metadata values must be strings"
    data = raw[8 + n :]
    tensors, end = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        dtype, size = DTYPES[info["dtype"]]
        start, stop = info["data_offsets"]
        assert start == end, f"{name}: data not contiguous ({start} after {end})"
        count = 1
        for d in info["shape"]:
            count *= d
        assert stop - start == count * size, f"{name}: {stop - start} bytes for shape {info['shape']}"
        tensors[name] = torch.frombuffer(bytearray(data[start:stop]), dtype=dtype).reshape(info["shape"])
        end = stop
    assert end == len(data), f"{len(data) - end} trailing bytes"
    return tensors, metadata


def tolerance(max_abs_logit):
    """1e-4, relative for logits beyond 1 (float32 keeps ~7 digits)."""
    return 1e-4 * max(1.0, max_abs_logit)


def check(case):
    weights, metadata = read_safetensors(case["weights"])
    io, _ = read_safetensors(case["inputs"])
    spec = case["spec"]
    model = build(spec)
    model.load_state_dict(weights, strict=True)
    model.eval()
    with torch.no_grad():
        logits = model(io["x"].permute(0, 3, 1, 2).contiguous())
    diff = (logits - io["logits"]).abs().max().item()
    scale = io["logits"].abs().max().item()
    result = {"model": spec["model"], "max_abs_diff": diff, "max_abs_logit": scale, "tensors": len(weights), "metadata": metadata}
    if "train_logits" in io:
        model.train()  # after the eval pass: a training pass moves the running statistics
        with torch.no_grad():
            train_logits = model(io["x"].permute(0, 3, 1, 2).contiguous())
        result["train_max_abs_diff"] = (train_logits - io["train_logits"]).abs().max().item()
        result["train_max_abs_logit"] = io["train_logits"].abs().max().item()
    return result


def within_tolerance(result):
    ok = result["max_abs_diff"] <= tolerance(result["max_abs_logit"])
    if "train_max_abs_diff" in result:
        ok = ok and result["train_max_abs_diff"] <= tolerance(result["train_max_abs_logit"])
    return ok


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    ok = True
    for case in cases:
        result = check(case)
        ok = ok and within_tolerance(result)
        print(json.dumps(result), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
