"""PyTorch definitions vdm's exports must load into with strict=True: torchvision's ImageNet ResNets
as they ship, the usual PyTorch forms of the CIFAR ResNets (option-A shortcuts), LeNet-5 and an
MLP, and modules with the attribute names of CIFAR-ZOO's (BIGBALLON/CIFAR-ZOO) DenseNet-BC,
ResNeXt-29 and SE-ResNeXt-29, of the WideResNet of xternalz/WideResNet-pytorch and of
kuangliu/pytorch-cifar's EfficientNet-B0, written here from the papers, independently of vdm's TypeScript.
Where CIFAR-ZOO hard-codes 3 input channels or an 8x8 final pool, these take any input."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class OptionAShortcut(nn.Module):
    """Parameter-free: keep every other pixel, zero-pad the new channels equally on both sides."""

    def __init__(self, planes):
        super().__init__()
        self.extra = planes // 4

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.extra, self.extra))


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = OptionAShortcut(planes) if stride != 1 or in_planes != planes else nn.Identity()

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class PreActBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.shortcut = OptionAShortcut(planes) if stride != 1 or in_planes != planes else nn.Identity()

    def forward(self, x):
        out = self.conv1(F.relu(self.bn1(x)))
        return self.conv2(F.relu(self.bn2(out))) + self.shortcut(x)


class CifarResNet(nn.Module):
    """He et al. 2016 section 4.2: depth 6n+2, stages of 16/32/64 filters."""

    def __init__(self, depth, num_classes, in_channels=3, pre_activation=False):
        super().__init__()
        n = (depth - 2) // 6
        block = PreActBlock if pre_activation else BasicBlock
        self.pre_activation = pre_activation
        self.conv1 = nn.Conv2d(in_channels, 16, 3, stride=1, padding=1, bias=False)
        if not pre_activation:
            self.bn1 = nn.BatchNorm2d(16)
        in_planes = 16
        for stage, planes in enumerate([16, 32, 64]):
            blocks = []
            for i in range(n):
                blocks.append(block(in_planes, planes, 2 if stage > 0 and i == 0 else 1))
                in_planes = planes
            setattr(self, f"layer{stage + 1}", nn.Sequential(*blocks))
        if pre_activation:
            self.bn = nn.BatchNorm2d(64)
        self.linear = nn.Linear(64, num_classes)

    def forward(self, x):
        out = self.conv1(x)
        if not self.pre_activation:
            out = F.relu(self.bn1(out))
        out = self.layer3(self.layer2(self.layer1(out)))
        if self.pre_activation:
            out = F.relu(self.bn(out))
        return self.linear(out.mean(dim=(2, 3)))


class LeNet5(nn.Module):
    def __init__(self, num_classes, in_channels, height, width):
        super().__init__()
        side = lambda s: ((s // 2) - 4) // 2
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * side(height) * side(width), 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class MLP(nn.Module):
    def __init__(self, in_features, hidden, num_classes):
        super().__init__()
        widths = [in_features, *hidden, num_classes]
        for i in range(len(widths) - 1):
            setattr(self, f"fc{i + 1}", nn.Linear(widths[i], widths[i + 1]))
        self.layers = len(widths) - 1

    def forward(self, x):
        x = torch.flatten(x, 1)
        for i in range(1, self.layers + 1):
            x = getattr(self, f"fc{i}")(x)
            if i < self.layers:
                x = F.relu(x)
        return x


class DenseBottleneck(nn.Module):
    """BN-ReLU-1x1 conv to 4k channels, BN-ReLU-3x3 conv to k; the k new maps come first."""

    def __init__(self, in_planes, k):
        super().__init__()
        self.bn_1 = nn.BatchNorm2d(in_planes)
        self.conv_1 = nn.Conv2d(in_planes, 4 * k, 1, bias=False)
        self.bn_2 = nn.BatchNorm2d(4 * k)
        self.conv_2 = nn.Conv2d(4 * k, k, 3, padding=1, bias=False)

    def forward(self, x):
        new = self.conv_2(F.relu(self.bn_2(self.conv_1(F.relu(self.bn_1(x))))))
        return torch.cat([new, x], dim=1)


class DenseTransition(nn.Module):
    def __init__(self, in_planes, out_planes):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_planes)
        self.conv = nn.Conv2d(in_planes, out_planes, 1, bias=False)

    def forward(self, x):
        return F.avg_pool2d(self.conv(F.relu(self.bn(x))), 2)


class DenseNetBC(nn.Module):
    """Huang et al. 2017, BC variant: depth 6n+4, three dense blocks of n bottlenecks."""

    def __init__(self, depth, k, reduction, num_classes, in_channels):
        super().__init__()
        n = (depth - 4) // 6
        planes = 2 * k
        self.conv_1 = nn.Conv2d(in_channels, planes, 3, padding=1, bias=False)
        # CIFAR-ZOO's attribute names: dense1, dense2, dense_3; trans_1, trans_2.
        for block, attribute in enumerate(["dense1", "dense2", "dense_3"]):
            layers = []
            for _ in range(n):
                layers.append(DenseBottleneck(planes, k))
                planes += k
            setattr(self, attribute, nn.Sequential(*layers))
            if block < 2:
                out = int(planes * reduction)
                setattr(self, f"trans_{block + 1}", DenseTransition(planes, out))
                planes = out
        self.bn = nn.BatchNorm2d(planes)
        self.fc = nn.Linear(planes, num_classes)

    def forward(self, x):
        out = self.trans_1(self.dense1(self.conv_1(x)))
        out = self.dense_3(self.trans_2(self.dense2(out)))
        return self.fc(F.relu(self.bn(out)).mean(dim=(2, 3)))


class SqueezeExcite(nn.Module):
    """Hu et al. 2018: global mean, 1x1 conv to C/r, ReLU, 1x1 conv back to C, sigmoid gate."""

    def __init__(self, channels, reduction):
        super().__init__()
        self.fc_1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc_2 = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x):
        gate = torch.sigmoid(self.fc_2(F.relu(self.fc_1(x.mean(dim=(2, 3), keepdim=True)))))
        return x * gate


class ResNeXtBottleneck(nn.Module):
    """1x1 to d channels, 3x3 in `cardinality` groups (strided), 1x1 to out; optional SE gate."""

    def __init__(self, in_planes, out_planes, stride, cardinality, d, se_reduction):
        super().__init__()
        self.conv_reduce = nn.Conv2d(in_planes, d, 1, bias=False)
        self.bn_reduce = nn.BatchNorm2d(d)
        self.conv_conv = nn.Conv2d(d, d, 3, stride=stride, padding=1, groups=cardinality, bias=False)
        self.bn = nn.BatchNorm2d(d)
        self.conv_expand = nn.Conv2d(d, out_planes, 1, bias=False)
        self.bn_expand = nn.BatchNorm2d(out_planes)
        self.shortcut = nn.Sequential()
        if in_planes != out_planes:
            self.shortcut.add_module("shortcut_conv", nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False))
            self.shortcut.add_module("shortcut_bn", nn.BatchNorm2d(out_planes))
        self.se = se_reduction is not None
        if self.se:
            self.se_module = SqueezeExcite(out_planes, se_reduction)

    def forward(self, x):
        out = F.relu(self.bn_reduce(self.conv_reduce(x)))
        out = F.relu(self.bn(self.conv_conv(out)))
        out = self.bn_expand(self.conv_expand(out))
        if self.se:
            out = self.se_module(out)
        return F.relu(out + self.shortcut(x))


class ResNeXt29(nn.Module):
    """Xie et al. 2017 for CIFAR: depth 9n+2, stage outputs 4, 8, 16 times the stem width."""

    def __init__(self, depth, cardinality, base_width, stem_width, se_reduction, num_classes, in_channels):
        super().__init__()
        n = (depth - 2) // 9
        self.conv_1_3x3 = nn.Conv2d(in_channels, stem_width, 3, padding=1, bias=False)
        self.bn_1 = nn.BatchNorm2d(stem_width)
        in_planes = stem_width
        for stage in range(1, 4):
            out_planes = 4 * stem_width * 2 ** (stage - 1)
            d = cardinality * (base_width * out_planes // (4 * stem_width))
            blocks = nn.Sequential()
            for i in range(n):
                stride = 2 if stage > 1 and i == 0 else 1
                blocks.add_module(f"stage_{stage}_bottleneck_{i}", ResNeXtBottleneck(in_planes, out_planes, stride, cardinality, d, se_reduction))
                in_planes = out_planes
            setattr(self, f"stage_{stage}", blocks)
        self.fc = nn.Linear(in_planes, num_classes)

    def forward(self, x):
        out = F.relu(self.bn_1(self.conv_1_3x3(x)))
        out = self.stage_3(self.stage_2(self.stage_1(out)))
        return self.fc(out.mean(dim=(2, 3)))


class WideBlock(nn.Module):
    """Pre-activation: BN-ReLU, 3x3 conv, dropout, BN-ReLU, 3x3 conv. A width change projects the
    pre-activated input with a strided 1x1 conv; otherwise the raw input is added."""

    def __init__(self, in_planes, out_planes, stride, rate):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, padding=1, bias=False)
        self.rate = rate
        self.project = in_planes != out_planes
        if self.project:
            self.convShortcut = nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)

    def forward(self, x):
        activated = F.relu(self.bn1(x))
        out = F.dropout(self.conv1(activated), p=self.rate, training=self.training)
        out = self.conv2(F.relu(self.bn2(out)))
        return (self.convShortcut(activated) if self.project else x) + out


class WideStage(nn.Module):
    def __init__(self, n, in_planes, out_planes, stride, rate):
        super().__init__()
        self.layer = nn.Sequential(*[WideBlock(in_planes if i == 0 else out_planes, out_planes, stride if i == 0 else 1, rate) for i in range(n)])

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    """Zagoruyko & Komodakis 2016: depth 6n+4, widths 16, 16k, 32k, 64k."""

    def __init__(self, depth, widen, rate, num_classes, in_channels):
        super().__init__()
        n = (depth - 4) // 6
        widths = [16, 16 * widen, 32 * widen, 64 * widen]
        self.conv1 = nn.Conv2d(in_channels, 16, 3, padding=1, bias=False)
        self.block1 = WideStage(n, widths[0], widths[1], 1, rate)
        self.block2 = WideStage(n, widths[1], widths[2], 2, rate)
        self.block3 = WideStage(n, widths[2], widths[3], 2, rate)
        self.bn1 = nn.BatchNorm2d(widths[3])
        self.fc = nn.Linear(widths[3], num_classes)

    def forward(self, x):
        out = self.block3(self.block2(self.block1(self.conv1(x))))
        return self.fc(F.relu(self.bn1(out)).mean(dim=(2, 3)))


def swish(x):
    return x * torch.sigmoid(x)


class EfficientSE(nn.Module):
    """Squeeze-excitation with swish; squeezes to a quarter of the block's input channels."""

    def __init__(self, channels, squeezed):
        super().__init__()
        self.se1 = nn.Conv2d(channels, squeezed, 1)
        self.se2 = nn.Conv2d(squeezed, channels, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.se2(swish(self.se1(x.mean(dim=(2, 3), keepdim=True)))))


class MBConv(nn.Module):
    """Tan & Le 2019: 1x1 expansion (absent at ratio 1), depthwise kxk, SE, 1x1 projection;
    identity skip at stride 1 and equal widths. Drop-connect is off: the comparison is deterministic."""

    def __init__(self, in_planes, out_planes, expansion, kernel, stride):
        super().__init__()
        planes = in_planes * expansion
        self.expand = expansion != 1
        if self.expand:
            self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel, stride=stride, padding=(kernel - 1) // 2, groups=planes, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.se = EfficientSE(planes, max(1, int(in_planes * 0.25)))
        self.conv3 = nn.Conv2d(planes, out_planes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.skip = stride == 1 and in_planes == out_planes

    def forward(self, x):
        out = swish(self.bn1(self.conv1(x))) if self.expand else x
        out = self.se(swish(self.bn2(self.conv2(out))))
        out = self.bn3(self.conv3(out))
        return out + x if self.skip else out


def round_channels(channels, width, divisor=8):
    scaled = channels * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * scaled else rounded


class EfficientNetCifar(nn.Module):
    """EfficientNet-B0's stages (expansion, channels, blocks, kernel, stride) with a stride-1 stem
    for 32x32 images and no 1x1 head conv, as kuangliu/pytorch-cifar's attribute names have it
    (conv1, bn1, layers.i.{conv1,bn1,conv2,bn2,se.se1,se.se2,conv3,bn3}, linear)."""

    STAGES = [(1, 16, 1, 3, 1), (6, 24, 2, 3, 2), (6, 40, 2, 5, 2), (6, 80, 3, 3, 2), (6, 112, 3, 5, 1), (6, 192, 4, 5, 2), (6, 320, 1, 3, 1)]

    def __init__(self, width, depth, num_classes, in_channels):
        super().__init__()
        planes = round_channels(32, width)
        self.conv1 = nn.Conv2d(in_channels, planes, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        blocks = []
        for expansion, channels, n, kernel, stride in self.STAGES:
            out = round_channels(channels, width)
            for i in range(math.ceil(n * depth)):
                blocks.append(MBConv(planes, out, expansion, kernel, stride if i == 0 else 1))
                planes = out
        self.layers = nn.Sequential(*blocks)
        self.linear = nn.Linear(planes, num_classes)

    def forward(self, x):
        out = self.layers(swish(self.bn1(self.conv1(x))))
        return self.linear(out.mean(dim=(2, 3)))


def build(spec):
    """spec: {"model": vdm model name, "num_classes": K, "input_shape": [h, w, c], "hidden": [...],
    "params": the vdm model's parameters}"""
    name, k = spec["model"], spec["num_classes"]
    h, w, c = spec["input_shape"]
    if name in ("resnet18", "resnet34", "resnet50"):
        import torchvision

        return getattr(torchvision.models, name)(num_classes=k)
    if name.startswith("preresnet"):
        return CifarResNet(int(name[len("preresnet"):]), k, c, pre_activation=True)
    if name.startswith("resnet"):
        return CifarResNet(int(name[len("resnet"):]), k, c)
    if name == "lenet5":
        return LeNet5(k, c, h, w)
    p = spec.get("params") or {}
    if name == "densenet_bc":
        return DenseNetBC(p.get("depth", 100), p.get("growth", 12), p.get("reduction", 0.5), k, c)
    if name in ("resnext29", "se_resnext29"):
        se = p.get("se_reduction", 16) if name == "se_resnext29" else None
        return ResNeXt29(p.get("depth", 29), p.get("cardinality", 16), p.get("base_width", 64), p.get("stem_width", 64), se, k, c)
    if name == "wrn":
        # Dropout stays off in the comparison: vdm drops only in its training steps.
        return WideResNet(p.get("depth", 28), p.get("widen", 10), 0.0, k, c)
    if name == "efficientnet_b0":
        return EfficientNetCifar(p.get("width", 1.0), p.get("depth", 1.0), k, c)
    if name == "mlp":
        return MLP(h * w * c, spec["hidden"], k)
    raise ValueError(f"no PyTorch definition for {name}")
