#!/usr/bin/python3
"""parity.py - the PyTorch side of tests/train/test-parity.c.

Usage: parity.py BEFORE.safetensors AFTER.safetensors BATCH.safetensors

BEFORE is an fvc checkpoint after one AdamW step (parameters + optimizer state), BATCH holds the
clips and labels of the next micro-batch and what fvc computed on it (logits, parameter
gradients), AFTER the checkpoint after the second step. This script builds the equivalent
torch.nn modules from DESIGN.md, loads BEFORE (parameters and AdamW state) into them and
torch.optim.AdamW, and checks, each with relative error max|fvc - torch| / max|torch| < 1e-4:
the logits, every parameter gradient, and every parameter update of the AdamW step.

Exit status: 0 all within tolerance, 1 a mismatch, 77 torch or numpy missing (the C test then
reports a skip). safetensors files are parsed by hand (8-byte little-endian header length, JSON
header, raw data), so the safetensors package is not needed.
"""
import json
import struct
import sys

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - depends on the machine
    print("parity.py: skipped, %s" % e)
    sys.exit(77)

TOLERANCE = 1e-4
DTYPES = {"F32": np.float32, "U8": np.uint8, "F64": np.float64, "I64": np.int64}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[base + begin:base + end], dtype=DTYPES[info["dtype"]])
        tensors[name] = arr.reshape(info["shape"]).copy()
    return meta, tensors


class NaiveCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv3d(3, 32, kernel_size=(1, 3, 3), padding=(0, 1, 1))
        self.c2 = nn.Conv3d(32, 64, kernel_size=3, padding=1)
        self.c3 = nn.Conv3d(64, 128, kernel_size=3, padding=1)
        self.fc = nn.Linear(128, 1)

    def forward(self, x):
        x = F.max_pool3d(F.relu(self.c1(x)), (1, 2, 2))
        x = F.max_pool3d(F.relu(self.c2(x)), (1, 2, 2))
        x = F.relu(self.c3(x))
        return self.fc(x.mean(dim=(2, 3, 4))).squeeze(1)


class Flat(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.fc = nn.Linear(features, 1)

    def forward(self, x):
        return self.fc(x.flatten(1)).squeeze(1)


def normalise(clips):
    """uint8 (N, T, H, W, 3) -> float (N, 3, T, H, W), x/255, ImageNet mean/std."""
    x = torch.from_numpy(clips).permute(0, 4, 1, 2, 3).float() / 255
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1, 1)
    return (x - mean) / std


def rel_err(got, want):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    scale = np.abs(want).max()
    if scale == 0:
        return 0.0 if np.abs(got).max() == 0 else float("inf")
    return float(np.abs(got - want).max() / scale)


def main():
    meta, before = load_safetensors(sys.argv[1])
    _, after = load_safetensors(sys.argv[2])
    _, batch = load_safetensors(sys.argv[3])
    model_name = meta["model"]
    frames, height, width = int(meta["frames"]), int(meta["height"]), int(meta["width"])
    torch.manual_seed(0)
    if model_name == "naive_cnn":
        model = NaiveCNN()
    else:
        model = Flat(3 * frames * height * width)
    params = {k: v for k, v in before.items() if not k.startswith("optimizer.")}
    model.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()}, strict=True)

    opt = torch.optim.AdamW(model.parameters(), lr=float(meta["learning_rate"]),
                            betas=(float(meta["beta1"]), float(meta["beta2"])), eps=float(meta["eps"]),
                            weight_decay=float(meta["weight_decay"]))
    for name, p in model.named_parameters():
        opt.state[p] = {
            "step": torch.tensor(float(meta["steps"])),
            "exp_avg": torch.from_numpy(before["optimizer.exp_avg." + name].copy()),
            "exp_avg_sq": torch.from_numpy(before["optimizer.exp_avg_sq." + name].copy()),
        }

    failures = []

    def check(what, got, want):
        e = rel_err(got, want)
        scale = float(np.abs(np.asarray(want)).max())
        # a comparison of zeros would prove nothing
        ok = e < TOLERANCE and scale > 0
        print("%-20s %-20s max|torch| %.3g relative error %.3g %s" % (model_name, what, scale, e,
                                                                      "ok" if ok else "MISMATCH"))
        if not ok:
            failures.append(what)

    x = normalise(batch["clips"])
    y = torch.from_numpy(batch["labels"])
    logits = model(x)
    check("logits", logits.detach().numpy(), batch["logits"])
    if model_name == "svm":
        loss = torch.clamp(1 - (2 * y - 1) * logits, min=0).mean()
    else:
        loss = F.binary_cross_entropy_with_logits(logits, y)
    opt.zero_grad()
    loss.backward()
    for name, p in model.named_parameters():
        check("grad " + name, batch["grad." + name], p.grad.numpy())
    old = {name: p.detach().clone().numpy() for name, p in model.named_parameters()}
    opt.step()
    for name, p in model.named_parameters():
        check("update " + name, after[name] - old[name], p.detach().numpy() - old[name])
    if int(after_meta_steps(sys.argv[2])) != int(meta["steps"]) + 1:
        failures.append("step count")
    return 1 if failures else 0


def after_meta_steps(path):
    meta, _ = load_safetensors(path)
    return meta["steps"]


if __name__ == "__main__":
    sys.exit(main())
