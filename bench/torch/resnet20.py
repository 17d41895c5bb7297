"""PyTorch reference for `npm run bench -- training --torch`: training images/s of ResNet-20 (CIFAR,
option-A shortcuts, He et al. 2016) or LeNet-5 on synthetic data of the same shapes as the tfjs
benchmark, SGD with momentum, a fixed thread count; `--device cuda` runs it on the GPU (fp32, eager),
the reference of `npm run bench -- gpu --torch`. Any other vdm model name (`--model densenet_bc
--params '{"depth": 100}'`) is built from test/export/torch_models.py, the reference modules the
export parity tests load vdm's weights into. Prints one JSON line."""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.extra = planes - in_planes
        self.stride = stride

    def shortcut(self, x):
        # Option A: subsample and zero-pad the new channels (no parameters).
        if self.stride == 1 and self.extra == 0:
            return x
        sub = x[:, :, ::self.stride, ::self.stride]
        return F.pad(sub, (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet20(nn.Module):
    def __init__(self, num_classes, in_channels=3, blocks_per_stage=3):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        layers, channels = [], 16
        for stage, width in enumerate([16, 32, 64]):
            for i in range(blocks_per_stage):
                layers.append(BasicBlock(channels, width, 2 if stage > 0 and i == 0 else 1))
                channels = width
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn(self.conv(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class LeNet5(nn.Module):
    def __init__(self, num_classes, in_channels=1, side=28):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        feature = ((side // 2) - 4) // 2
        self.fc1 = nn.Linear(16 * feature * feature, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


CASES = {
    "resnet20": dict(make=lambda: ResNet20(100), shape=(3, 32, 32), classes=100, batch=128),
    "lenet5": dict(make=lambda: LeNet5(10), shape=(1, 28, 28), classes=10, batch=64),
}


def reference_case(name, params, classes, channels, side):
    """A vdm model other than the two above, from the export parity tests' PyTorch modules."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "export"))
    import torch_models

    spec = {"model": name, "num_classes": classes, "input_shape": [side, side, channels], "params": params,
            "hidden": params.get("hidden", [256, 128])}
    return dict(make=lambda: torch_models.build(spec), shape=(channels, side, side), classes=classes, batch=128)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="resnet20", help="resnet20, lenet5, or any model torch_models.build knows")
    parser.add_argument("--params", default="{}", help="the vdm model's parameters, JSON (other models)")
    parser.add_argument("--classes", type=int, help="number of classes (other models; default 100)")
    parser.add_argument("--channels", type=int, help="input channels (other models; default 3)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5, help="steps per timed window")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--batch", type=int, help="batch size (default: the model's recipe)")
    parser.add_argument("--side", type=int, help="image side (default: the data set's)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    # fp32 throughout, as tfjs computes: no TF32 tensor-core matmuls/convolutions on Ampere and later.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if args.model in CASES:
        case = dict(CASES[args.model])
    else:
        case = reference_case(args.model, json.loads(args.params), args.classes or 100, args.channels or 3, args.side or 32)
    if args.batch:
        case["batch"] = args.batch
    if args.side:
        case["shape"] = (case["shape"][0], args.side, args.side)
    model = case["make"]().train().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    batches = [(torch.randn(case["batch"], *case["shape"], device=device),
                torch.randint(0, case["classes"], (case["batch"],), device=device)) for _ in range(4)]

    def step(i):
        x, y = batches[i % len(batches)]
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()  # one host read per step, as the tfjs trainer makes

    for i in range(args.warmup):
        step(i)
    rates = []
    cpu_start = time.process_time()  # every thread of the process: load stretches wall time, not this
    for w in range(args.windows):
        start = time.perf_counter()
        for i in range(args.steps):
            step(i)
        rates.append(args.steps * case["batch"] / (time.perf_counter() - start))
    cpu_per_image = (time.process_time() - cpu_start) / (args.windows * args.steps * case["batch"])
    print(json.dumps({
        "model": args.model, "framework": f"torch {torch.__version__} {device.type}", "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "batchSize": case["batch"], "imagesPerSecond": statistics.median(rates), "windowImagesPerSecond": rates,
        "cpuSecondsPerImage": cpu_per_image,
    }))


if __name__ == "__main__":
    main()
