#!/usr/bin/python3
"""bench-train-cpu.py - CPU training throughput of fvc beside PyTorch, in the same run.

For each model (logistic_regression, svm, naive_cnn) at 6x112x112 clips and the model's memory
config (logistic_regression/svm batch 8 x 1, naive_cnn batch 4 x 2; --batch/--accum override),
alternately: the fvc side (bench-train-cpu, the library trainer fvctrainsink wraps) and the PyTorch
side (this script with --torch-worker, a fresh process: the same architecture, normalisation,
loss, AdamW and accumulation, torch.set_num_threads = the same thread count). Each side trains on
uint8 clips already in memory for at least --seconds of whole optimizer steps after a warm-up
step. Reported per side: median clips/s (wall), CPU seconds per clip (user + system: robust when
other processes share the cores), peak RSS of the process. The ratio is fvc / PyTorch clips/s.

Usage: bench-train-cpu.py --fvc BUILD/tests/bench/bench-train-cpu [--repeats 2] [--seconds 10]
                          [--models ...] [--markdown out.md] [--json out.jsonl]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
MEMORY_CONFIG = {"logistic_regression": (8, 1), "svm": (8, 1), "naive_cnn": (4, 2)}


def torch_worker(args):
    import torch
    import torch.nn.functional as F

    # the modules of the PyTorch parity test: one definition of the reference architectures
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
    from parity import Flat, NaiveCNN

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    t, s, b, a = args.frames, args.size, args.batch, args.accum
    model = NaiveCNN() if args.model == "naive_cnn" else Flat(3 * t * s * s)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1, 1)
    # 8 distinct uint8 batches in memory, as the fvc side has 8 distinct clips
    clips = [torch.randint(0, 256, (b, t, s, s, 3), dtype=torch.uint8) for _ in range(8)]
    y = (torch.arange(b) % 2).float()
    k = [0]

    def step():
        opt.zero_grad(set_to_none=True)
        for _ in range(a):
            u8 = clips[k[0] % len(clips)]
            k[0] += 1
            x = (u8.permute(0, 4, 1, 2, 3).float() / 255 - mean) / std
            logits = model(x)
            if args.model == "svm":
                loss = torch.clamp(1 - (2 * y - 1) * logits, min=0).mean()
            else:
                loss = F.binary_cross_entropy_with_logits(logits, y)
            (loss / a).backward()
        opt.step()

    step()
    steps = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    while True:
        step()
        steps += 1
        if time.perf_counter() - t0 >= args.seconds:
            break
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    clips_done = steps * b * a
    print(json.dumps({
        "impl": "torch", "model": args.model, "batch": b, "accum": a, "frames": t, "size": s,
        "threads": torch.get_num_threads(), "steps": steps, "clips_per_s": round(clips_done / wall, 3),
        "cpu_s_per_clip": round(cpu / clips_done, 4),
        "peak_rss_mib": round(peak_rss_kib() / 1024, 1),
        "torch": torch.__version__}), flush=True)
    return 0


def peak_rss_kib():
    """VmHWM of this process image (ru_maxrss would keep the peak of the process that exec'ed it)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def run_json(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fvc", help="the bench-train-cpu executable")
    p.add_argument("--models", default="logistic_regression,svm,naive_cnn")
    p.add_argument("--batch", type=int, default=0, help="0: the model's memory config")
    p.add_argument("--accum", type=int, default=0, help="0: the model's memory config")
    p.add_argument("--frames", type=int, default=6)
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--markdown")
    p.add_argument("--json")
    p.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--model", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.torch_worker:
        return torch_worker(args)
    if not args.fvc:
        p.error("--fvc is required")
    # not imported here: this process stays small, and the children report their own peaks
    probe = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("bench-train-cpu: SKIP: the PyTorch side needs torch: %s" % probe.stderr.strip().splitlines()[-1:])
        return 77

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    rows = []
    out = open(args.json, "a") if args.json else None
    for model in args.models.split(","):
        b, a = MEMORY_CONFIG[model]
        b, a = args.batch or b, args.accum or a
        common = ["--model", model, "--frames", str(args.frames), "--size", str(args.size),
                  "--seconds", str(args.seconds)]
        results = {"fvc": [], "torch": []}
        for _ in range(args.repeats):
            # alternate, so that a change in the machine's load hits both sides alike
            results["fvc"].append(run_json([args.fvc, "--batch", str(b), "--accum", str(a)] + common, env))
            results["torch"].append(run_json([sys.executable, __file__, "--torch-worker", "--batch", str(b), "--accum",
                                              str(a), "--threads", str(args.threads)] + common, env))
        for impl in ("fvc", "torch"):
            for r in results[impl]:
                line = json.dumps(r)
                print(line, flush=True)
                if out:
                    out.write(line + "\n")
        med = {impl: {k: statistics.median(r[k] for r in results[impl])
                      for k in ("clips_per_s", "cpu_s_per_clip", "peak_rss_mib")} for impl in results}
        rows.append((model, b, a, med))

    load = os.getloadavg()
    header = ("CPU training, %dx%dx%d clips, %s, %d threads, %s, %s, load average %.1f at the end" %
              (args.frames, args.size, args.size, cpu_name(), args.threads,
               time.strftime("%Y-%m-%d"), "OMP_WAIT_POLICY=%s" % os.environ.get("OMP_WAIT_POLICY", "default"), load[0]))
    lines = [header, "",
             "| model | batch x accum | fvc clips/s | PyTorch clips/s | fvc / PyTorch | fvc CPU s/clip | "
             "PyTorch CPU s/clip | fvc peak RSS MiB | PyTorch peak RSS MiB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for model, b, a, m in rows:
        f, t = m["fvc"], m["torch"]
        lines.append("| %s | %d x %d | %.2f | %.2f | %.2fx | %.4f | %.4f | %.0f | %.0f |" % (
            model, b, a, f["clips_per_s"], t["clips_per_s"], f["clips_per_s"] / t["clips_per_s"],
            f["cpu_s_per_clip"], t["cpu_s_per_clip"], f["peak_rss_mib"], t["peak_rss_mib"]))
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
