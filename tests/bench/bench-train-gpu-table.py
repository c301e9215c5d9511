#!/usr/bin/env python3
"""bench-train-gpu-table.py — merges the JSON lines of bench-train-gpu (impl "fvc"),
bench_train_torch.py (impl "torch") and the device script's pipeline runs (impl "gst") into the
markdown tables of docs/benchmarks.md ("Training (GPU)"), with the ratios the issue's goals name.

  bench-train-gpu-table.py FILE.jsonl... > results.md

Precisions are matched by arithmetic: fvc fp32 (no TF32) with PyTorch fp32-strict where measured,
fvc tf32 with PyTorch's default fp32 (TF32 convolutions), bf16 with autocast bf16. Standard
library only (runs on the GPU machine's python3)."""
import json
import sys


def load(paths):
    rows = []
    for path in paths:
        try:
            with open(path) as f:
                for line in f:
                    line = line.strip()
                    if line.startswith("{"):
                        try:
                            rows.append(json.loads(line))
                        except ValueError:
                            pass
        except OSError as e:
            print(f"<!-- {path}: {e} -->")
    return rows


def fmt(v, digits=0):
    if v is None or (isinstance(v, (int, float)) and v < 0):
        return "–"
    return f"{v:,.{digits}f}"


def ratio(a, b):
    if a is None or b is None or a <= 0 or b <= 0:
        return "–"
    return f"{a / b:.2f}×"


def main():
    rows = load(sys.argv[1:])
    fvc = {(r["model"], r["precision"], r["batch"]): r for r in rows
           if r.get("impl") == "fvc" and "model" in r and "variant" not in r}
    variants = [r for r in rows if r.get("impl") == "fvc" and "model" in r and "variant" in r]
    torch = {(r["model"], r["precision"], r["batch"], r["mode"]): r for r in rows
             if r.get("impl") == "torch" and "mode" in r and "clips_per_s" in r}
    gst = [r for r in rows if r.get("impl") == "gst"]
    info = [r for r in rows if "device" in r]
    reader = [r for r in rows if "reader_clips_per_s" in r]

    def torch_for(model, precision, batch, mode):
        want = {"fp32": ["fp32-strict", "fp32"], "tf32": ["fp32"], "bf16": ["bf16"]}.get(precision, [precision])
        for p in want:
            r = torch.get((model, p, batch, mode))
            if r is not None:
                return r, p
        return None, None

    for r in info:
        print(f"- {r.get('impl')}: {r.get('device')}" + (f", torch {r['torch']}, CUDA {r.get('cuda')}, cuDNN "
                                                          f"{r.get('cudnn')}" if "torch" in r else ""))
    for r in reader:
        print(f"- libfvc clip reader alone (fvc_clip_open, mmap + validation, every page touched): "
              f"{fmt(r['reader_clips_per_s'])} clips/s over a {r['cache_clips']}-clip cache of "
              f"{r['frames']}x{r['size']}x{r['size']} clips")
    print()
    print("| model | precision | batch | fvc resident | PyTorch resident (as) | ratio | fvc trainer, host | "
          "PyTorch host | ratio | fvc trainer, cache | fvc arenas peak MiB | fvc device MiB | PyTorch peak MiB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key in sorted(fvc, key=lambda k: (["logistic_regression", "svm", "naive_cnn"].index(k[0])
                                          if k[0] in ("logistic_regression", "svm", "naive_cnn") else 9,
                                          ["fp32", "tf32", "bf16"].index(k[1]) if k[1] in ("fp32", "tf32", "bf16")
                                          else 9, k[2])):
        r = fvc[key]
        model, precision, batch = key
        if "error" in r:
            print(f"| {model} | {precision} | {batch} | error: {r['error'][:120]} |||||||||")
            continue
        tr, tp = torch_for(model, precision, batch, "resident")
        th, _ = torch_for(model, precision, batch, "host")
        print(f"| {model} | {precision} | {batch} | {fmt(r.get('resident_clips_per_s'))} | "
              f"{fmt(tr and tr['clips_per_s'])} ({tp or '–'}) | {ratio(r.get('resident_clips_per_s'), tr and tr['clips_per_s'])} | "
              f"{fmt(r.get('host_clips_per_s'))} | {fmt(th and th['clips_per_s'])} | "
              f"{ratio(r.get('host_clips_per_s'), th and th['clips_per_s'])} | {fmt(r.get('cache_clips_per_s'))} | "
              f"{fmt(r.get('peak_arena_mib'))} | {fmt(r.get('device_used_mib'))} | "
              f"{fmt(tr and tr.get('peak_alloc_mib'))} |")

    # the goals
    def best(model, precisions, batch, field="resident_clips_per_s"):
        cands = [(fvc[(model, p, batch)].get(field) or -1, p) for p in precisions if (model, p, batch) in fvc]
        return max(cands) if cands else (None, None)

    print()
    print("| goal | fvc | PyTorch eager | ratio | target |")
    print("|---|---:|---:|---:|---:|")
    goals = [
        ("naive_cnn, batch 128, bf16", ("naive_cnn", ["bf16"], 128), ("naive_cnn", "bf16", 128), 1.5),
        ("naive_cnn, batch 4, fp32 class (fvc fp32/tf32 vs PyTorch's default fp32)",
         ("naive_cnn", ["fp32", "tf32"], 4), ("naive_cnn", "fp32", 4), 3.0),
        ("logistic_regression, batch 128, fp32", ("logistic_regression", ["fp32"], 128),
         ("logistic_regression", "fp32", 128), 2.0),
    ]
    for label, (m, ps, b), (tm, tpr, tb), target in goals:
        v, p = best(m, ps, b)
        t = torch.get((tm, tpr, tb, "resident"))
        tv = t and t["clips_per_s"]
        print(f"| {label} (resident) | {fmt(v)} ({p or '–'}) | {fmt(tv)} | {ratio(v, tv)} | ≥ {target}× |")
    if variants:
        print()
        print("| backend setting | model | precision | batch | fvc resident | default setting | ratio |")
        print("|---|---|---|---:|---:|---:|---:|")
        for v in variants:
            d = fvc.get((v["model"], v["precision"], v["batch"]), {})
            if "error" in v:
                print(f"| `{v['variant']}` | {v['model']} | {v['precision']} | {v['batch']} | error: {v['error'][:100]} | | |")
                continue
            print(f"| `{v['variant']}` | {v['model']} | {v['precision']} | {v['batch']} | "
                  f"{fmt(v.get('resident_clips_per_s'))} | {fmt(d.get('resident_clips_per_s'))} | "
                  f"{ratio(v.get('resident_clips_per_s'), d.get('resident_clips_per_s'))} |")
    if gst:
        print()
        print("| pipeline `fvcclipsrc ! fvctrainsink device=cuda` | precision | batch | clips | clips/s (progress messages, "
              "median) | clips/s (wall, incl. setup) | fvc trainer from memory |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for g in gst:
            r = fvc.get((g.get("model"), g.get("precision"), g.get("batch")), {})
            print(f"| {g.get('model')} | {g.get('precision')} | {g.get('batch')} | {fmt(g.get('clips'))} | "
                  f"{fmt(g.get('clips_per_s_progress'))} | {fmt(g.get('clips_per_s_wall'))} | "
                  f"{fmt(r.get('host_clips_per_s'))} |" + (f" error: {g['error']}" if "error" in g else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
