#!/usr/bin/env python3
"""docs-pipelines.py — every gst-launch-1.0 line shown in docs/elements.md, docs/training.md and
README.md runs (those for a CUDA device only where one is present: not in this suite).

The lines are taken from the fenced code blocks of the documents themselves (backslash
continuations joined), so a renamed property or element in the code, or a typo in the docs, turns
this test red. They run in document order in two scratch directories: lines reading a clip cache
(fvcclipsrc) beside a synthetic cache made as docs/elements.md says, every other line beside a
generated H.264 `video.mp4`. `/tmp/` in a line is redirected to the scratch directory.

Beyond the exit status each line's outputs are checked: a multifilesink pattern yields exactly six
files (every documented line samples or generates six frames), a checkpoint or predictions
file is written and not empty, a clip cache directory holds clip files.
"""
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

SOURCE = os.environ.get("FVC_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("FVC_BUILD_ROOT", "build")
DOCUMENTS = ["docs/elements.md", "docs/training.md", "README.md"]
MIN_LINES = 12  # docs/elements.md alone shows more; fewer found means the extraction broke


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def gst_launch_lines(path):
    """gst-launch-1.0 command lines in the fenced blocks of a Markdown file, continuations joined."""
    lines, in_block, pending = [], False, ""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("```"):
                in_block, pending = not in_block, ""
                continue
            if not in_block:
                continue
            pending += line.strip() + " "
            if line.endswith("\\"):
                pending = pending.rstrip()[:-1]
                continue
            cmd, pending = pending.strip(), ""
            if cmd.startswith("gst-launch-1.0"):
                lines.append(cmd)
    return lines


def make_video(path):
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=320x240:rate=30", "-frames:v", "180", "-pix_fmt", "yuv420p", "-c:v", "libx264",
                    "-preset", "veryfast", "-threads", "1", "-x264-params", "keyint=60:bframes=3", path],
                   check=True)


def clip_count(cache_dir):
    return len(glob.glob(os.path.join(cache_dir, "clips", "*.safetensors")))


def check_outputs(cmd, cwd):
    args = shlex.split(cmd)
    for i, tok in enumerate(args):
        if tok in ("multifilesink", "fvcclipsink"):
            loc = next(a for a in args[i + 1:] if a.startswith("location=")).split("=", 1)[1]
            if tok == "multifilesink":
                found = glob.glob(os.path.join(cwd, re.sub(r"%0?\d*d", "*", loc)))
                if len(found) != 6:
                    fail(f"{cmd}\n  expected 6 files matching {loc}, found {len(found)}")
            elif clip_count(os.path.join(cwd, loc)) == 0:
                fail(f"{cmd}\n  no clip written into {loc}/clips")
        elif tok.startswith(("checkpoint-location=", "predictions-location=")):
            out = os.path.join(cwd, tok.split("=", 1)[1])
            if not os.path.isfile(out) or os.path.getsize(out) == 0:
                fail(f"{cmd}\n  {out} missing or empty")


def main():
    commands = []
    for doc in DOCUMENTS:
        found = gst_launch_lines(os.path.join(SOURCE, doc))
        print(f"# {doc}: {len(found)} gst-launch-1.0 lines")
        commands += found
    if len(commands) < MIN_LINES:
        fail(f"only {len(commands)} gst-launch-1.0 lines found in {DOCUMENTS}")

    with tempfile.TemporaryDirectory(prefix="fvc-docs-") as work:
        extract_dir = os.path.join(work, "extract")
        train_dir = os.path.join(work, "train")
        out_dir = os.path.join(work, "out")
        for d in (extract_dir, train_dir, out_dir):
            os.makedirs(d)
        make_video(os.path.join(extract_dir, "video.mp4"))
        subprocess.run([os.path.join(BUILD, "tests", "train", "synth-cache"), "cache", "--videos", "90",
                        "--frames", "6", "--size", "32", "--augmentations", "2", "--folds", "3"],
                       cwd=train_dir, check=True, stdout=subprocess.DEVNULL)

        cuda_lines = [c for c in commands if "device=cuda" in c]
        commands = [c for c in commands if "device=cuda" not in c]
        print(f"# {len(cuda_lines)} line(s) need a CUDA device and are not run here (tests/gpu covers the backend)")
        for n, cmd in enumerate(commands, 1):
            cmd = cmd.replace("/tmp/", out_dir + "/")
            cwd = train_dir if "fvcclipsrc" in cmd else extract_dir
            if cwd == extract_dir:
                for f in glob.glob(os.path.join(out_dir, "*")) + glob.glob(os.path.join(extract_dir, "*.png")):
                    os.remove(f)  # each line's six files counted alone
            print(f"# [{n}/{len(commands)}] {cmd}")
            try:
                r = subprocess.run(shlex.split(cmd), cwd=cwd, capture_output=True, text=True, timeout=300)
            except subprocess.TimeoutExpired:
                fail(f"{cmd}\n  did not finish in 300 s")
            if r.returncode != 0 or "ERROR" in r.stderr:
                fail(f"{cmd}\n  exit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
            check_outputs(cmd, cwd)
    print(f"# all {len(commands)} documented CPU pipelines ran")


if __name__ == "__main__":
    main()
