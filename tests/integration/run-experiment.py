#!/usr/bin/python3
# run-experiment.py — `fvc-stream run` end to end on a small synthetic dataset (plus one broken
# video), checked from the files the run wrote, with expected values computed here:
#  - 5 folds × 3 models complete; results.csv has 15 rows and a mean and a std row per model, the
#    fold rows equal metrics.json, the metrics equal those recomputed from predictions.csv, the
#    summaries equal numpy's mean and std(ddof=1) of the fold rows;
#  - the broken video is excluded from every fold, with a warning, and the exit status is 3;
#  - every usable video is in exactly one validation fold, groups are never split;
#  - from what the sinks received (train_clips.csv / eval_clips.csv, written from the buffers at
#    their sink pads): no training clip of a fold comes from a validation video of that fold, every
#    training video's base and augmented clip is trained on exactly once per epoch, and validation
#    sees each validation video's base clip once;
#  - the report's figures are valid, non-trivial PNG (decoded here) and SVG (parsed as XML);
#  - --memstats=detailed writes memstats.csv with every stage, live models/tensors while training,
#    and nothing left alive at the end;
#  - re-running the same command (which cleans first) gives byte-identical results.csv,
#    predictions and checkpoints.
import csv
import hashlib
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

import numpy as np

FVC = os.environ.get("FVC_STREAM")
if not FVC:
    sys.exit("run through meson test (FVC_STREAM unset)")

FOLDS = 5
MODELS = ["logistic_regression", "svm", "naive_cnn"]
EPOCHS = 2
METRICS = ["roc_auc", "accuracy", "balanced_accuracy", "log_loss", "f1"]


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def fvc(work, *args, expect=0):
    env = dict(os.environ, FVC_NO_PROGRESS_BAR="1")
    env.pop("FVC_NUM_FRAMES", None)
    env.pop("FVC_FIXED_SIZE", None)
    p = subprocess.run([FVC, *args], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != expect:
        print(p.stdout)
        fail(f"fvc-stream {' '.join(args)}: exit {p.returncode}, expected {expect}")
    return p.stdout


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


# ---- independent metrics (fake = positive) --------------------------------------------------------

def metrics_from_predictions(rows):
    y = np.array([int(r["label"]) for r in rows])
    logit = np.array([float(r["logit"]) for r in rows])
    pos, neg = logit[y == 1], logit[y == 0]
    if len(pos) and len(neg):
        auc = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))
    else:
        auc = float("nan")
    pred = (logit > 0).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    recalls = []
    if (y == 1).any():
        recalls.append(tp / (tp + fn))
    if (y == 0).any():
        recalls.append(tn / (tn + fp))
    p = 1 / (1 + np.exp(-logit))
    p = np.clip(p, 1e-15, 1 - 1e-15)
    logloss = float(np.mean(np.where(y == 1, -np.log(p), -np.log(1 - p))))
    f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 0.0
    return {"roc_auc": auc, "accuracy": (tp + tn) / len(y), "balanced_accuracy": float(np.mean(recalls)),
            "log_loss": logloss, "f1": f1}, (tp, fp, tn, fn)


def close(a, b, tol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol * max(1.0, abs(b))


def num(text):
    return float("nan") if text == "nan" else float(text)


# ---- image checks ---------------------------------------------------------------------------------

def check_png(path):
    data = open(path, "rb").read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG signature")
    check(len(data) > 10000, f"{path}: only {len(data)} bytes")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        check(zlib.crc32(kind + body) & 0xffffffff == crc, f"{path}: bad CRC in {kind}")
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            check(width >= 400 and height >= 300, f"{path}: {width}x{height} is too small for a figure")
            check(depth == 8 and ctype in (2, 6), f"{path}: unexpected pixel format {depth}/{ctype}")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    check(len(raw) == height * (1 + width * bpp), f"{path}: pixel data does not match {width}x{height}")
    # Undo the row filters (PNG spec 9.2) and count the colours: a figure has many.
    stride = width * bpp
    prev = bytearray(stride)
    colours = set()
    for r in range(height):
        ftype = raw[r * (1 + stride)]
        line = bytearray(raw[r * (1 + stride) + 1:(r + 1) * (1 + stride)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xff
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xff
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif ftype == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
            else:
                check(ftype == 0, f"{path}: row filter {ftype}")
        if r % 5 == 0:
            colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    check(len(colours) > 8, f"{path}: looks blank ({len(colours)} colours)")
    return width, height


def check_svg(path):
    size = os.path.getsize(path)
    check(size > 10000, f"{path}: only {size} bytes")
    root = ET.parse(path).getroot()
    check(root.tag.endswith("svg"), f"{path}: root element is {root.tag}")
    w = float(root.get("width", "0").rstrip("pt"))
    h = float(root.get("height", "0").rstrip("pt"))
    check(w >= 400 and h >= 300, f"{path}: {w}x{h}")
    drawn = sum(1 for e in root.iter() if e.tag.split("}")[-1] in ("path", "use", "rect"))
    check(drawn > 50, f"{path}: only {drawn} drawing elements")


# ---- the test ---------------------------------------------------------------------------------------

def main():
    work = tempfile.mkdtemp(prefix="fvc-test-")
    try:
        run_test(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("# ok")


def run_test(work):
    fvc(work, "synth", "--output", "videos/synth", "--index", "data/video_index_input.csv", "--sources", "5",
        "--fakes-per-source", "2", "--frames", "24", "--width", "96", "--height", "64")
    with open(os.path.join(work, "videos/synth/broken.mp4"), "w") as f:
        f.write("not a video\n")
    with open(os.path.join(work, "data/video_index_input.csv"), "a") as f:
        f.write("../videos/synth/broken.mp4,fake,src_broken\n")
    index = read_csv(os.path.join(work, "data/video_index_input.csv"))
    usable = [r for r in index if "broken" not in r["video_path"]]
    labels = {r["video_path"]: int(r["label"] == "fake") for r in index}
    groups = {r["video_path"]: r["group"] for r in index}

    cmd = ["run", "--index", "data/video_index_input.csv", "--size", "32", "--num-frames", "4", "--epochs",
           str(EPOCHS), "--jobs", "2", "--memstats=detailed"]
    out = fvc(work, *cmd, expect=3)
    run = os.path.join(work, "runs/run_001")
    check("report: " in out and "results.csv" in out, "the run did not print where the results and the report are")
    table = out[out.index("results (validation"):]
    for m in MODELS:
        check(any(line.split()[:2] == [m, f"{FOLDS}/{FOLDS}"] for line in table.splitlines()[1:] if line.strip()),
              f"the printed table has no complete row for {m}")

    # Exclusion of the broken video.
    res = json.load(open(os.path.join(run, "results.json")))
    check([e["video_path"] for e in res["excluded_videos"]] == ["../videos/synth/broken.mp4"],
          f"excluded videos: {res['excluded_videos']}")
    check(any("broken.mp4" in w for w in res["warnings"]), "no warning about the excluded video")
    check([r["video_path"] for r in read_csv(os.path.join(run, "excluded.csv"))] == ["../videos/synth/broken.mp4"],
          "excluded.csv")
    # one wording everywhere (run --collect reads excluded.csv back into results.json)
    excluded_rows = read_csv(os.path.join(run, "excluded.csv"))
    check([r["reason"] for r in excluded_rows] == [e["reason"] for e in res["excluded_videos"]],
          f"excluded.csv reasons {excluded_rows} differ from results.json {res['excluded_videos']}")
    check(excluded_rows[0]["reason"].startswith("failed: "), f"excluded.csv reason: {excluded_rows}")

    # Folds: every usable video in exactly one validation fold, groups kept together.
    manifest = read_csv(os.path.join(run, "folds.csv"))
    check(sorted(r["video_path"] for r in manifest) == sorted(r["video_path"] for r in usable),
          "folds.csv is not exactly the usable videos, once each")
    fold_of = {r["video_path"]: int(r["fold"]) for r in manifest}
    check(set(fold_of.values()) == set(range(FOLDS)), f"folds used: {sorted(set(fold_of.values()))}")
    for g in {groups[v] for v in fold_of}:
        check(len({fold_of[v] for v in fold_of if groups[v] == g}) == 1, f"group {g} split across folds")
    for r in manifest:
        check(int(r["label"]) == labels[r["video_path"]], f"label of {r['video_path']} in folds.csv")

    # results.csv
    rows = read_csv(os.path.join(run, "results.csv"))
    check(list(rows[0].keys()) == ["model", "fold", "status", "n_videos"] + METRICS, f"columns {list(rows[0])}")
    fold_rows = [r for r in rows if r["fold"] not in ("mean", "std")]
    check(len(fold_rows) == FOLDS * len(MODELS), f"{len(fold_rows)} fold rows, expected 15")
    check(len(rows) == len(fold_rows) + 2 * len(MODELS), "not one mean and one std row per model")
    check([(r["model"], int(r["fold"])) for r in fold_rows] == [(m, k) for m in MODELS for k in range(FOLDS)],
          "fold rows not in model then fold order")
    check(all(r["status"] == "ok" for r in fold_rows), "a (fold, model) failed: " +
          str([(r["model"], r["fold"]) for r in fold_rows if r["status"] != "ok"]))
    eval_seen = {}
    for r in fold_rows:
        m, k = r["model"], int(r["fold"])
        d = os.path.join(run, f"fold{k}", m)
        val = {v for v, f in fold_of.items() if f == k}
        train = set(fold_of) - val

        mj = json.load(open(os.path.join(d, "metrics.json")))
        check(mj["status"] == "ok" and mj["model"] == m and mj["fold"] == k, f"{d}/metrics.json header")
        for name in METRICS:
            in_json = float("nan") if mj[name] is None else float(mj[name])
            check(close(num(r[name]), in_json, 0), f"{m} fold {k} {name}: results.csv {r[name]} != metrics.json {in_json}")
        preds = read_csv(os.path.join(d, "predictions.csv"))
        check({p["video_path"] for p in preds} == val, f"{m} fold {k}: predictions are not the validation videos")
        check(all(int(p["label"]) == labels[p["video_path"]] for p in preds), f"{m} fold {k}: labels in predictions")
        want, conf = metrics_from_predictions(preds)
        for name in METRICS:
            check(close(num(r[name]), want[name], 1e-9), f"{m} fold {k} {name}: {r[name]} != recomputed {want[name]}")
        check((mj["confusion"]["tp"], mj["confusion"]["fp"], mj["confusion"]["tn"], mj["confusion"]["fn"]) == conf,
              f"{m} fold {k}: confusion {mj['confusion']} != {conf}")
        check(int(r["n_videos"]) == len(val), f"{m} fold {k}: n_videos")

        # What the training sink received.
        tclips = read_csv(os.path.join(d, "train_clips.csv"))
        leaked = {c["video_path"] for c in tclips} & val
        check(not leaked, f"{m} fold {k}: trained on validation videos {sorted(leaked)}")
        for e in range(EPOCHS):
            got = sorted((c["video_path"], int(c["augmentation_idx"])) for c in tclips if int(c["epoch"]) == e)
            check(got == sorted((v, a) for v in train for a in (-1, 0)),
                  f"{m} fold {k} epoch {e}: not every training clip exactly once")
        check(len(tclips) == EPOCHS * 2 * len(train), f"{m} fold {k}: {len(tclips)} training clips")
        check(all(int(c["label"]) == labels[c["video_path"]] for c in tclips), f"{m} fold {k}: training labels")
        eclips = read_csv(os.path.join(d, "eval_clips.csv"))
        check(sorted((c["video_path"], c["augmentation_idx"]) for c in eclips) == sorted((v, "-1") for v in val),
              f"{m} fold {k}: evaluation did not get each validation video's base clip once")
        for c in eclips:
            eval_seen.setdefault((m, c["video_path"]), []).append(k)

        # Training logs and checkpoint.
        epochs = read_csv(os.path.join(d, "train_epochs.csv"))
        check([int(x["epoch"]) for x in epochs] == list(range(EPOCHS)), f"{m} fold {k}: train_epochs.csv epochs")
        check(all(int(x["clips"]) == 2 * len(train) for x in epochs), f"{m} fold {k}: clips per epoch")
        log = read_csv(os.path.join(d, "train_log.csv"))
        check(len(log) >= EPOCHS and all(math.isfinite(float(x["loss"])) for x in log), f"{m} fold {k}: train_log.csv")
        ck = os.path.join(work, "models/run_001", f"{m}_fold{k}.safetensors")
        raw = open(ck, "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8:8 + n])
        check(header["__metadata__"]["model"] == m and "fc.weight" in header, f"{ck}: not a {m} checkpoint")

    for m in MODELS:
        check(sorted(v for (mm, v) in eval_seen if mm == m) == sorted(fold_of), f"{m}: validation did not cover every video")
        check(all(len(ks) == 1 for (mm, _), ks in eval_seen.items() if mm == m), f"{m}: a video validated twice")
        # Summaries: numpy over the fold rows.
        mean = next(r for r in rows if r["model"] == m and r["fold"] == "mean")
        std = next(r for r in rows if r["model"] == m and r["fold"] == "std")
        for name in METRICS:
            vals = np.array([num(r[name]) for r in fold_rows if r["model"] == m])
            vals = vals[np.isfinite(vals)]
            check(close(num(mean[name]), float(np.mean(vals)), 1e-12), f"{m} mean {name}: {mean[name]} vs {np.mean(vals)}")
            want_std = float(np.std(vals, ddof=1)) if len(vals) > 1 else float("nan")
            check(close(num(std[name]), want_std, 1e-9), f"{m} std {name}: {std[name]} vs {want_std}")
            s = res["summary"][m][name]
            check(s["n"] == len(vals) and close(s["mean"], float(np.mean(vals)), 1e-12), f"results.json summary {m} {name}")

    # The report.
    rep = os.path.join(run, "report")
    html = open(os.path.join(rep, "index.html")).read()
    for fig in ("auc", "roc", "loss"):
        check_png(os.path.join(rep, fig + ".png"))
        check_svg(os.path.join(rep, fig + ".svg"))
        check(f'src="{fig}.svg"' in html, f"index.html does not show {fig}.svg")
    for m in MODELS:
        check(m in html, f"index.html does not mention {m}")
    check("broken.mp4" in html, "index.html does not warn about the excluded video")

    # Memory statistics.
    ms = read_csv(os.path.join(run, "memstats.csv"))
    stages = [r["stage"] for r in ms]
    for st in ("start", "extract-start", "extract-end", "folds", "report", "end"):
        check(st in stages, f"memstats.csv has no {st} row")
    for st in ("train-start", "train-end", "eval-start", "eval-end"):
        check(stages.count(st) == FOLDS * len(MODELS), f"memstats.csv: {stages.count(st)} {st} rows")
    check(stages.count("video-done") == len(index), "memstats.csv: not one video-done row per video (detailed)")
    check(all(int(r["rss_bytes"]) > 0 and int(r["peak_rss_bytes"]) >= int(r["rss_bytes"]) for r in ms), "RSS columns")
    busy = [r for r in ms if r["stage"] == "epoch-end"]
    check(len(busy) == FOLDS * len(MODELS) * EPOCHS, f"{len(busy)} epoch-end rows")
    check(all(int(r["models"]) >= 1 and int(r["tensors"]) > 0 and int(r["tensor_bytes"]) > 0 and int(r["pipelines"]) >= 1
              for r in busy), "no live model/tensors/pipeline counted while training")
    end = ms[-1]
    check(end["stage"] == "end" and all(int(end[c]) == 0 for c in ("pipelines", "clips", "clip_bytes", "tensors",
                                                                     "tensor_bytes", "models")),
          f"something still alive at the end: {end}")

    # The log and the configuration.
    log = open(os.path.join(work, "logs/run_001.log")).read()
    check("report: " in log and "WARNING" in log and "memstats [" in log, "logs/run_001.log lacks the report, warning or memstats")
    cfg = open(os.path.join(run, "config.ini")).read()
    check("size=32" in cfg and "num_frames=4" in cfg and "(from command line)" in cfg, "config.ini")

    # Determinism: the same command again (it cleans first) gives the same bytes.
    first = {p: sha(os.path.join(run, p)) for p in ["results.csv"] +
             [f"fold{k}/{m}/predictions.csv" for m in MODELS for k in range(FOLDS)]}
    first.update({p: sha(os.path.join(work, "models/run_001", p)) for p in os.listdir(os.path.join(work, "models/run_001"))})
    fvc(work, *cmd, expect=3)
    check(sorted(os.listdir(os.path.join(work, "runs"))) == ["run_001"], "the second run did not clean the first")
    for p, digest in first.items():
        path = os.path.join(work, "models/run_001", p) if p.endswith(".safetensors") else os.path.join(run, p)
        check(sha(path) == digest, f"{p} differs between two runs with the same seed")


main()
