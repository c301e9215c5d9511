#!/usr/bin/env python3
"""bench_train_torch.py — PyTorch eager reference for bench-train-gpu: the same three models
(DESIGN.md "Models": flatten -> Linear for logistic_regression and svm, the naive_cnn), the same
input (uint8 clips (N, T, H, W, 3) normalised on the GPU: x / 255, ImageNet mean/std), the same
losses (BCE with logits, hinge) and AdamW (lr 1e-3, weight decay 1e-4), batch sizes and clip shape.

Modes (as in bench-train-gpu):
  resident  one uint8 batch on the GPU, reused; forward, loss, backward, AdamW; no host sync per step
  host      a pinned uint8 batch copied to the GPU every step (non_blocking), loss read every step
Precisions:
  fp32         PyTorch's defaults (cuDNN convolutions may use TF32: torch.backends.cudnn.allow_tf32)
  fp32-strict  TF32 off for convolutions and matmuls (the same arithmetic as fvc's fp32)
  bf16         torch.autocast("cuda", dtype=torch.bfloat16) around the forward
One JSON object per line on stdout and in --json; peak memory is the caching allocator's
max_memory_allocated (and reserved) over the measurement.
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


class LinearModel(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.fc = nn.Linear(features, 1)

    def forward(self, x):
        return self.fc(x.flatten(1)).squeeze(1)


class NaiveCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv3d(3, 32, (1, 3, 3), padding=(0, 1, 1))
        self.c2 = nn.Conv3d(32, 64, 3, padding=1)
        self.c3 = nn.Conv3d(64, 128, 3, padding=1)
        self.fc = nn.Linear(128, 1)

    def forward(self, x):
        x = F.max_pool3d(F.relu(self.c1(x)), (1, 2, 2))
        x = F.max_pool3d(F.relu(self.c2(x)), (1, 2, 2))
        x = F.relu(self.c3(x))
        return self.fc(x.mean(dim=(2, 3, 4))).squeeze(1)


def make_model(name, t, size):
    if name == "naive_cnn":
        return NaiveCNN()
    return LinearModel(3 * t * size * size)


def loss_fn(name, logits, y):
    logits = logits.float()
    if name == "svm":
        s = 2 * y - 1
        return torch.clamp(1 - s * logits, min=0).mean()
    return F.binary_cross_entropy_with_logits(logits, y)


def measure(args, name, precision, batch, mode):
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    torch.backends.cudnn.allow_tf32 = precision != "fp32-strict"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.manual_seed(0)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    model = make_model(name, args.frames, args.size).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    mean = torch.tensor(MEAN, device=dev).view(1, 3, 1, 1, 1)
    std = torch.tensor(STD, device=dev).view(1, 3, 1, 1, 1)
    shape = (batch, args.frames, args.size, args.size, 3)
    host_u8 = torch.randint(0, 256, shape, dtype=torch.uint8)
    if cuda:
        host_u8 = host_u8.pin_memory()
    dev_u8 = host_u8.to(dev)
    y = (torch.arange(batch, device=dev) % 2).float()
    autocast = precision == "bf16"

    def step():
        u8 = host_u8.to(dev, non_blocking=True) if mode == "host" else dev_u8
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=autocast):
            x = (u8.permute(0, 4, 1, 2, 3).float() / 255.0 - mean) / std
            logits = model(x)
        loss = loss_fn(name, logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if mode == "host":
            loss.item()

    for _ in range(5):
        step()
    sync()
    steps = 0
    t0 = time.perf_counter()
    while True:
        for _ in range(10):
            step()
        steps += 10
        if time.perf_counter() - t0 >= args.seconds:
            break
    sync()
    dt = time.perf_counter() - t0
    return {
        "impl": "torch", "model": name, "precision": precision, "batch": batch, "mode": mode,
        "frames": args.frames, "size": args.size, "clips_per_s": round(steps * batch / dt, 1), "steps": steps,
        "peak_alloc_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else None,
        "peak_reserved_mib": round(torch.cuda.max_memory_reserved() / 2**20, 1) if cuda else None,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="logistic_regression,svm,naive_cnn")
    p.add_argument("--precisions", default="fp32,bf16")
    p.add_argument("--strict-models", default="naive_cnn", help="models also measured in fp32-strict")
    p.add_argument("--batches", default="4,128")
    p.add_argument("--modes", default="resident,host")
    p.add_argument("--frames", type=int, default=6)
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--seconds", type=float, default=1.5)
    p.add_argument("--json")
    p.add_argument("--device", default="cuda", help="cpu: a smoke test of this script where there is no GPU")
    args = p.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("bench_train_torch: SKIP: no CUDA device", flush=True)
        return 77
    out = open(args.json, "a") if args.json else None

    def emit(obj):
        line = json.dumps(obj)
        print(line, flush=True)
        if out:
            out.write(line + "\n")
            out.flush()

    emit({"impl": "torch", "device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu",
          "torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()})
    models = args.models.split(",")
    strict = set(args.strict_models.split(",")) if args.strict_models else set()
    for name in models:
        precisions = args.precisions.split(",") + (["fp32-strict"] if name in strict else [])
        for precision in precisions:
            for batch in [int(b) for b in args.batches.split(",")]:
                for mode in args.modes.split(","):
                    try:
                        emit(measure(args, name, precision, batch, mode))
                    except Exception as e:  # keep going: one failing row must not lose the others
                        emit({"impl": "torch", "model": name, "precision": precision, "batch": batch,
                              "mode": mode, "error": repr(e)[:300]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
