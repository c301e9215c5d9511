#!/usr/bin/env python3
"""decode-bound.py — the decoder is fed no more than the keyframe→target union (+4), and fewer
than it on H.264 with B-frames (non-reference frames skipped).

The union is computed here from ffprobe's packet list (decode order, keyframe flags, PTS → frame
numbers), not from fvc-stream's index: for each of the 6 uniform targets the span from the last
keyframe at or before it to it, in decode order, spans merged. In an open GOP a target shown
before its keyframe (a leading B-frame) references the GOP before it, so its span starts at the
keyframe before (without that frame 179 of the open-GOP file decodes to garbage: the bound
has to be one that a correct decoder can meet). The pipeline's own counters
(fvcdecodegate: packets fed; fvcsample: frames decoded) are then held against that bound. The
packets `fvc-stream probe --packets` marks "feed" (what the decoding-floor benchmark replays)
must be as many as the gate fed and all inside the union's spans.
"""
import os
import re
import subprocess
import sys
import tempfile

N_TARGETS = 6


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True)


def make(path, frames, params):
    run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=size=320x240:rate=30", "-frames:v", str(frames), "-pix_fmt", "yuv420p", "-c:v", "libx264",
         "-preset", "veryfast", "-threads", "1", "-x264-params", params, path])


def union_from_ffprobe(path):
    out = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts,flags",
               "-of", "csv=p=0", path]).stdout.split()
    packets = [(int(line.split(",")[0]), "K" in line.split(",")[1]) for line in out]
    n = len(packets)
    order = sorted(range(n), key=lambda i: packets[i][0])      # frame number -> decode position
    targets = sorted({(2 * i * (n - 1) + N_TARGETS - 1) // (2 * (N_TARGETS - 1)) for i in range(N_TARGETS)})
    frame_of = [0] * n
    for f, i in enumerate(order):
        frame_of[i] = f
    keyframes = [i for i in range(n) if packets[i][1]]
    spans = []
    for t in targets:
        p = order[t]
        k = max(i for i in keyframes if i <= p)
        while k > 0 and frame_of[k] > t:  # leading picture: the GOP before
            k = max(i for i in keyframes if i < k)
        spans.append((k, p))
    spans.sort()
    merged = []
    for a, b in spans:
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return n, targets, merged


def probe_feeds(path):
    """Decode-order positions `fvc-stream probe --packets` says the plan feeds."""
    out = run([os.environ["FVC_STREAM"], "probe", "--packets", "--num-frames", str(N_TARGETS), path]).stdout
    return [int(line.split()[0]) for line in out.splitlines() if line.endswith(" feed")]


def counters(path):
    pipeline = (f'filesrc location="{path}" ! parsebin ! fvcdecodegate ! avdec_h264 ! fvcsample num-frames={N_TARGETS} '
                f'! fakesink')
    out = run(["gst-launch-1.0", "-m", *pipeline.split(" ")]).stdout
    fed = int(re.search(r"packets-fed=\(guint64\)(\d+)", out).group(1))
    decoded = int(re.search(r"frames-decoded=\(guint64\)(\d+)", out).group(1))
    passed = int(re.search(r"frames-passed=\(guint64\)(\d+)", out).group(1))
    return fed, decoded, passed


CASES = [
    # name, frames, x264 params, has B-frames
    ("x264-defaults", 300, "bframes=3", True),
    ("long-gop", 300, "keyint=250:scenecut=0:bframes=3:b-pyramid=normal", True),
    ("short-gop", 300, "keyint=30:bframes=3", True),
    ("open-gop", 300, "keyint=60:open-gop=1:bframes=3", True),
    ("no-bframes", 300, "keyint=100:bframes=0", False),
]


def main():
    failures = []
    with tempfile.TemporaryDirectory() as work:
        for name, frames, params, bframes in CASES:
            path = os.path.join(work, name + ".mp4")
            make(path, frames, params)
            n, targets, spans = union_from_ffprobe(path)
            union = sum(b - a + 1 for a, b in spans)
            fed, decoded, passed = counters(path)
            listed = probe_feeds(path)
            if len(listed) != fed:
                failures.append(f"{name}: probe --packets marks {len(listed)} packets feed, the gate fed {fed}")
            outside = [i for i in listed if not any(a <= i <= b for a, b in spans)]
            if outside:
                failures.append(f"{name}: probe --packets feeds packets outside the spans {spans}: {outside[:5]}")
            print(f"{name}: {n} packets, targets {targets}: union {union}, fed {fed}, decoded {decoded}, used {passed}")
            if fed > union + 4:
                failures.append(f"{name}: fed {fed} > union {union} + 4")
            if bframes and fed >= union:
                failures.append(f"{name}: fed {fed}, not fewer than the union {union} despite B-frames")
            if decoded > fed:
                failures.append(f"{name}: decoded {decoded} > fed {fed}")
            if passed != N_TARGETS:
                failures.append(f"{name}: {passed} frames passed, expected {N_TARGETS}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
