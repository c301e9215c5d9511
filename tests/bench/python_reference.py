#!/usr/bin/env python3
"""python_reference.py — the old PyAV + PyTorch extraction, rewritten faithfully for comparison.

What the pipeline we replace did for each video: uniform target frames from the container's frame
count; for each target in turn, container.seek() to it (which lands on the keyframe before) and
decode forward to the target; frame.to_ndarray('rgb24'); resize with torch; a seeded augmentation
(seed from md5 of the path, as DESIGN.md); torch.save of the clip; one CSV row per clip. It makes
the base clip (centre crop + resize) and --augmentations augmented clips.

Run with Debian's /usr/bin/python3 (python3-av, python3-torch). Several videos are extracted one
after the other in the one process, as the old pipeline looped over its dataset. Prints one JSON
line with the wall and CPU time of all of them measured after the imports (interpreter start-up
excluded), each video's wall time, frames decoded, and peak RSS.
"""
import argparse
import csv
import hashlib
import json
import os
import resource
import sys
import time

T0_PROCESS = time.perf_counter()
import av  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - T0_PROCESS


def base_seed(path):
    return int(hashlib.md5(path.encode()).hexdigest()[:8], 16) % 2**31


def uniform(n, total):
    if n == 1:
        return [total // 2]
    return [(2 * i * (total - 1) + (n - 1)) // (2 * (n - 1)) for i in range(n)]


def decode_targets(path, targets):
    """Seek to each target in turn and decode forward to it: the old pipeline's loop."""
    frames, decoded = [], 0
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = stream.time_base
        start = stream.start_time or 0
        rate = stream.average_rate or stream.guessed_rate
        for t in targets:
            target_pts = start + int(round(t / rate / tb))
            container.seek(target_pts, stream=stream, backward=True, any_frame=False)
            got = None
            for frame in container.decode(stream):
                decoded += 1
                if frame.pts is not None and frame.pts >= target_pts:
                    got = frame
                    break
            if got is None:
                raise RuntimeError(f"{path}: frame {t} not reached")
            frames.append(got.to_ndarray(format="rgb24"))
    return frames, decoded


def centre_crop_resize(clip, size):
    # clip (T, H, W, 3) uint8 -> (T, 3, size, size) float
    x = torch.from_numpy(np.stack(clip)).permute(0, 3, 1, 2).float()
    h, w = x.shape[-2:]
    s = min(h, w)
    y0, x0 = (h - s) // 2, (w - s) // 2
    x = x[:, :, y0:y0 + s, x0:x0 + s]
    return F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)


def augment(clip, size, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(np.stack(clip)).permute(0, 3, 1, 2).float()
    h, w = x.shape[-2:]
    s = min(h, w)
    scale = 0.6 + 0.4 * torch.rand(1, generator=g).item()
    c = max(1, int(s * scale ** 0.5))
    y0 = int(torch.randint(0, h - c + 1, (1,), generator=g))
    x0 = int(torch.randint(0, w - c + 1, (1,), generator=g))
    x = x[:, :, y0:y0 + c, x0:x0 + c]
    x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    if torch.rand(1, generator=g).item() < 0.5:
        x = x.flip(-1)
    b = 0.8 + 0.4 * torch.rand(1, generator=g).item()
    return (x * b).clamp(0, 255)


def extract(video, args, prefix):
    """One video: its clips under args.out, its rows in metadata.csv; returns frames decoded."""
    with av.open(video) as container:
        total = container.streams.video[0].frames  # the container's claim, as the old code used
    targets = uniform(args.num_frames, total)
    frames, decoded = decode_targets(video, targets)
    seed = base_seed(video)
    stem = prefix + os.path.splitext(os.path.basename(video))[0]
    rows = []
    clips = [("base", -1, centre_crop_resize(frames, args.size))]
    for a in range(args.augmentations):
        clips.append((f"aug{a}", a, augment(frames, args.size, seed + a)))
    for name, a, clip in clips:
        path = os.path.join(args.out, f"{stem}_{name}.pt")
        torch.save(clip.round().to(torch.uint8), path)
        rows.append([path, video, a])
    with open(os.path.join(args.out, "metadata.csv"), "a", newline="") as f:
        csv.writer(f).writerows(rows)
    return decoded


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("videos", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--num-frames", type=int, default=6)
    ap.add_argument("--size", type=int, default=112)
    ap.add_argument("--augmentations", type=int, default=1)
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    t0, c0 = time.perf_counter(), time.process_time()
    decoded, walls = 0, []
    for n, video in enumerate(args.videos):
        tv = time.perf_counter()
        decoded += extract(video, args, f"{n}_")
        walls.append(time.perf_counter() - tv)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({
        "wall_s": wall, "cpu_s": cpu, "frames_decoded": decoded, "video_wall_s": walls,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "import_s": IMPORT_SECONDS,
    }))


if __name__ == "__main__":
    sys.exit(main())
