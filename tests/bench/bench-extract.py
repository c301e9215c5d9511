#!/usr/bin/env python3
"""bench-extract.py — extraction speed and memory, side by side, in one run on one machine.

Per-video extraction of 6 frames at 112x112, base clip + 1 augmentation, on 1080p H.264 files of
three kinds (x264 defaults, one long GOP: keyint 250 scenecut off, short GOP: keyint 30) and a
60 s 360p file, for:
  * fvc-stream augment (the whole process, start-up included),
  * the old pipeline rewritten faithfully (tests/bench/python_reference.py, PyAV + torch, timed
    after its imports),
  * ffmpeg decoding the whole file (-f null),
  * the decoding floor (tests/bench/decode_floor.py): libavcodec alone, one thread, fed exactly
    the packets fvc-stream's plan feeds. Its CPU time shared by every core is the least wall time
    a video can take in a batch here, so Python's time over it is the ceiling on the speed-up any
    implementation can reach on this machine; both are reported per file;
  * with --skip-output-shim, an experiment: fvc-stream in a batch with skip-output-shim.c
    preloaded, so that the decoder outputs only the sampled pictures (what a decoder element of
    our own could save at most: the copy of every reference picture out of libav, and pushing
    it downstream). Checked first to give byte-identical clips.
Runs the tools in --repeat interleaved rounds (each round runs every tool once, so a slow spell
of a shared machine hits them alike) and reports the medians of wall time, CPU time (user +
sys), peak RSS and frames decoded; speed-ups are the median, and range, of the per-round ratios. The Python reference's time excludes its interpreter start-up and imports (PyAV loads
FFmpeg there); fvc-stream's whole-process time includes its own (GStreamer and its libav plugin
load FFmpeg: ~0.2 s), so two more fvc-stream figures are the per-video cost in a batch: the wall
time of 10 copies of the file (hard links: 10 videos) minus that of 1, divided by 9 — with the
default job count (one video per core, one decoder thread each) and with --jobs 1 (one video at
a time, its decoder on both cores, as the Python reference decodes one video at a time on both).
The Python reference is also timed the same way over a batch in one process (10 copies minus 1,
divided by 9: its first video's warm-up, torch's first calls and PyAV's first open, is taken out
like fvc-stream's start-up), the fair partner of fvc-stream's batch figure. Then the memory bounds of issue 3 (peak RSS of augment over 1 vs 50 videos and over a
10 s vs a 60 s 1080p video, --jobs 1) and the decoder threading choice (both cores on one video
vs one core each on two videos).

Usage: bench-extract.py [--workdir DIR] [--repeat 5] [--markdown OUT.md] [--quick] [--only TEXT]
                        [--skip-output-shim build/tests/bench/skip-output-shim.so]
(--only: just the files whose label contains TEXT, e.g. "360p", without the memory and thread
tables: more rounds of one comparison in the same time).
The videos are generated once into --workdir (default: $FVC_BUILD_ROOT/bench-data under meson, else
/tmp/fvc-bench-data) with ffmpeg.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FVC = os.environ.get("FVC_STREAM", "fvc-stream")
PY = os.environ.get("FVC_TEST_PYTHON", "/usr/bin/python3")


def run_measured(cmd, env=None):
    """Runs @cmd; returns (wall s, cpu s, peak RSS MB, stdout+stderr)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, 3):
        raise RuntimeError(f"{cmd} failed ({p.returncode}):\n{out}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, out


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def durations(quick):
    """Seconds of (the three 1080p files, the 360p file, the long 1080p file of the memory table)."""
    return (4, 15, 20) if quick else (10, 60, 60)


def make_videos(work, quick):
    src = ["-f", "lavfi", "-i"]
    sec, sec_360p, sec_long = durations(quick)
    files = {
        "1080p x264 defaults": ("1080p_default.mp4", f"testsrc2=size=1920x1080:rate=30:duration={sec}", []),
        "1080p one long GOP (keyint 250, no scenecut)": (
            "1080p_longgop.mp4", f"testsrc2=size=1920x1080:rate=30:duration={sec}",
            ["-x264-params", "keyint=250:scenecut=0"]),
        "1080p short GOP (keyint 30)": ("1080p_shortgop.mp4", f"testsrc2=size=1920x1080:rate=30:duration={sec}",
                                        ["-x264-params", "keyint=30"]),
        f"360p {sec_360p} s x264 defaults": ("360p_60s.mp4", f"testsrc2=size=640x360:rate=30:duration={sec_360p}", []),
    }
    for _, (name, lavfi, extra) in files.items():
        path = os.path.join(work, name)
        if not os.path.exists(path):
            print(f"making {name} ...", file=sys.stderr)
            ffmpeg(*src, lavfi, "-pix_fmt", "yuv420p", "-c:v", "libx264", *extra, path + ".tmp.mp4")
            os.rename(path + ".tmp.mp4", path)
    long_path = os.path.join(work, "1080p_60s.mp4")
    if not os.path.exists(long_path):
        print("making 1080p_60s.mp4 ...", file=sys.stderr)
        ffmpeg(*src, f"testsrc2=size=1920x1080:rate=30:duration={sec_long}", "-pix_fmt", "yuv420p",
               "-c:v", "libx264", "-preset", "veryfast", long_path + ".tmp.mp4")
        os.rename(long_path + ".tmp.mp4", long_path)
    return {k: os.path.join(work, v[0]) for k, v in files.items()}, long_path


def write_index(path, videos):
    with open(path, "w") as f:
        f.write("video_path,label\n")
        for i, v in enumerate(videos):
            f.write(f"{v},{i % 2}\n")


def fvc_once(work, videos, extra=(), env=None, cache_name="cache"):
    index = os.path.join(work, "index.csv")
    cache = os.path.join(work, cache_name)
    shutil.rmtree(cache, ignore_errors=True)
    write_index(index, videos)
    cmd = [FVC, "augment", "--index", index, "--cache", cache, "--num-frames", "6", "--size", "112",
           "--augmentations", "1", *extra]
    wall, cpu, rss, out = run_measured(cmd, env)
    m = re.search(r"(\d+) decoded, (\d+) used", out)
    decoded = int(m.group(1)) if m else -1
    if "0 failed" not in out:
        raise RuntimeError(out)
    return wall, cpu, rss, decoded


def python_once(work, videos):
    out_dir = os.path.join(work, "pyout")
    shutil.rmtree(out_dir, ignore_errors=True)
    _, cpu_total, rss, out = run_measured([PY, os.path.join(HERE, "python_reference.py"), *videos, "--out", out_dir])
    r = json.loads(out.strip().splitlines()[-1])
    return r["wall_s"], r["cpu_s"], rss, r["frames_decoded"]


def marginal_links(work, video, copies):
    """@copies hard links of @video (distinct paths: distinct seeds and cache entries)."""
    d = os.path.join(work, "marginal")
    os.makedirs(d, exist_ok=True)
    links = []
    for i in range(copies):
        dst = os.path.join(d, f"{i}_{os.path.basename(video)}")
        if not os.path.exists(dst):
            os.link(video, dst)
        links.append(dst)
    return links


def python_marginal(work, video, copies=10):
    """Per-video wall and CPU seconds of the Python reference looping over a batch in one process
    (as the old pipeline did), its first video's warm-up excluded like fvc-stream's start-up."""
    links = marginal_links(work, video, copies)
    one = python_once(work, links[:1])
    many = python_once(work, links)
    return (many[0] - one[0]) / (copies - 1), (many[1] - one[1]) / (copies - 1), many[2], one[3]


def ffmpeg_once(video):
    wall, cpu, rss, _ = run_measured(["ffmpeg", "-nostdin", "-v", "error", "-i", video, "-f", "null", "-"])
    frames = int(subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                                 "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", video],
                                capture_output=True, text=True, check=True).stdout.strip())
    return wall, cpu, rss, frames


def plan_listing(work, video):
    """`fvc-stream probe --packets` of @video (the extraction's sampling), written to a file in
    @work: (its path, its text)."""
    # Listed afresh each time (~0.05 s: probe reuses the cached frame index), so a regenerated
    # video can never be replayed with another file's plan.
    listing = os.path.join(work, os.path.basename(video) + ".packets.txt")
    probe = subprocess.run([FVC, "probe", "--packets", "--num-frames", "6", video], capture_output=True,
                           text=True, check=True)
    with open(listing, "w") as f:
        f.write(probe.stdout)
    return listing, probe.stdout


def target_pts(listing_text):
    """The PTS (ns) of the sampled frames, from a plan listing: its "targets:" line names frame
    numbers, its packet table gives each frame's PTS."""
    targets = re.search(r"^\s*targets: ([\d,]+)$", listing_text, re.M)
    if not targets:
        raise RuntimeError("probe --packets printed no targets line")
    wanted = {int(t) for t in targets.group(1).split(",")}
    pts = {}
    for line in listing_text.splitlines():
        fields = line.split()
        if len(fields) == 7 and fields[0].isdigit() and int(fields[1]) in wanted:
            pts[int(fields[1])] = fields[2]
    if set(pts) != wanted:
        raise RuntimeError(f"probe --packets lists no PTS for frames {sorted(wanted - set(pts))}")
    return ",".join(pts[t] for t in sorted(pts))


def floor_once(work, video):
    """The decoding floor (decode_floor.py): libavcodec alone on the packets the plan feeds."""
    listing, _ = plan_listing(work, video)
    _, _, _, out = run_measured([PY, os.path.join(HERE, "decode_floor.py"), video, listing])
    r = json.loads(out.strip().splitlines()[-1])
    # No peak RSS: the process holds every demuxed packet of the file, which the floor is not about.
    return r["wall_s"], r["cpu_s"], float("nan"), r["pictures_decoded"]


def fvc_marginal(work, video, extra=(), copies=10, env=None):
    """Per-video wall and CPU seconds of fvc-stream augment in a batch (start-up excluded)."""
    links = marginal_links(work, video, copies)
    one = fvc_once(work, links[:1], list(extra), env)
    many = fvc_once(work, links, list(extra), env)
    return (many[0] - one[0]) / (copies - 1), (many[1] - one[1]) / (copies - 1), many[2], one[3]


def skip_output_env(work, video, shim):
    """The environment that preloads skip-output-shim.c into fvc-stream for @video (the experiment
    row: the decoder outputs only the sampled pictures), after checking on one video that the
    clips come out byte-identical and that only the targets left the decoder."""
    env = dict(os.environ, LD_PRELOAD=shim, FVC_SKIP_OUTPUT_PTS=target_pts(plan_listing(work, video)[1]))
    plain = fvc_once(work, [video], cache_name="cache-plain")
    shimmed = fvc_once(work, [video], env=env, cache_name="cache-shim")
    if shimmed[3] != 6 or plain[3] <= 6:
        raise RuntimeError(f"skip-output shim: {shimmed[3]} pictures decoded with it, {plain[3]} without "
                           f"(expected the 6 targets only)")
    clips = sorted(os.listdir(os.path.join(work, "cache-plain", "clips")))
    if sorted(os.listdir(os.path.join(work, "cache-shim", "clips"))) != clips or not clips:
        raise RuntimeError("skip-output shim: the two runs wrote different clip files")
    for name in clips:
        with open(os.path.join(work, "cache-plain", "clips", name), "rb") as a, \
             open(os.path.join(work, "cache-shim", "clips", name), "rb") as b:
            if a.read() != b.read():
                raise RuntimeError(f"skip-output shim: {name} differs from the plain run's")
    return env


def median_of(fn, repeat):
    runs = [fn() for _ in range(repeat)]
    return tuple(statistics.median(r[i] for r in runs) for i in range(4))


def main():
    ap = argparse.ArgumentParser()
    # Never the current directory: run from a checkout, that would put ~70 MB of videos into it.
    build_root = os.environ.get("FVC_BUILD_ROOT")
    default_work = (os.path.join(build_root, "bench-data") if build_root
                    else os.path.join(tempfile.gettempdir(), "fvc-bench-data"))
    ap.add_argument("--workdir", default=default_work)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--markdown")
    ap.add_argument("--quick", action="store_true", help="shorter videos (made in WORKDIR/quick), one repeat: a smoke run")
    ap.add_argument("--only", help="only the files whose label contains this text; no memory/thread tables")
    ap.add_argument("--skip-output-shim", metavar="SO",
                    help="skip-output-shim.so (built in build/tests/bench): adds the experiment row of "
                         "fvc-stream with only the sampled pictures output by the decoder")
    args = ap.parse_args()
    if args.quick:
        args.repeat = 1
        # Its shorter videos keep the full run's file names: a folder of their own, or a later
        # full run in the same folder would measure them.
        args.workdir = os.path.join(args.workdir, "quick")
    # Absolute: the index CSVs written here name the videos, and fvc-stream resolves a relative
    # path against the CSV's own directory.
    args.workdir = os.path.abspath(args.workdir)
    os.makedirs(args.workdir, exist_ok=True)
    files, long_1080 = make_videos(args.workdir, args.quick)
    if args.only:
        files = {label: path for label, path in files.items() if args.only in label}
        if not files:
            sys.exit(f"bench-extract: no file's label contains {args.only!r}")
    lines = []
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True,
                         text=True).stdout.strip()
    lines.append(f"Machine: {platform.node()}, {os.cpu_count()} cores ({cpu}), {time.strftime('%Y-%m-%d')}; "
                 f"median of {args.repeat} interleaved rounds; speed-ups: median (min-max) of the per-round ratios.\n")

    lines.append("| file | tool | wall s | CPU s | peak RSS MB | frames decoded | speed-up vs Python, one video "
                 "| vs Python in a batch |")
    lines.append("|---|---|---|---|---|---|---|---|")
    verdicts = []
    for label, video in files.items():
        # Interleaved rounds: each round runs every tool once, so a slow spell of this shared
        # machine hits all of them alike; speed-ups are the median over rounds of the paired
        # ratios, with their range.
        shim_env = skip_output_env(args.workdir, video, args.skip_output_shim) if args.skip_output_shim else None
        rounds = []
        for _ in range(args.repeat):
            rounds.append({
                "f": fvc_once(args.workdir, [video]),
                "m": fvc_marginal(args.workdir, video),
                "m1": fvc_marginal(args.workdir, video, ["--jobs", "1"]),
                "p": python_once(args.workdir, [video]),
                "pm": python_marginal(args.workdir, video),
                "g": ffmpeg_once(video),
                "d": floor_once(args.workdir, video),
                **({"s": fvc_marginal(args.workdir, video, env=shim_env)} if shim_env else {}),
            })
        med = {k: tuple(statistics.median(r[k][i] for r in rounds) for i in range(4)) for k in rounds[0]}

        def ratio(num, den):
            vals = sorted(r[num][0] / r[den][0] for r in rounds)
            return statistics.median(vals), vals[0], vals[-1]

        def fmt(rt):
            return f"{rt[0]:.1f}x ({rt[1]:.1f}-{rt[2]:.1f})"

        f, m, m1, p, g = med["f"], med["m"], med["m1"], med["p"], med["g"]
        for key, tool in (("f", "fvc-stream augment, one video (whole process)"),
                          ("m", "fvc-stream augment, per video in a batch (default jobs)"),
                          ("m1", "fvc-stream augment, per video in a batch (--jobs 1)"),
                          ("p", "Python reference (PyAV+torch), one video, after imports"),
                          ("pm", "Python reference, per video in a batch (one process)"),
                          ("g", "ffmpeg full decode"),
                          ("d", "decoding floor: libavcodec alone on the plan's packets, 1 thread"),
                          ("s", "experiment: fvc-stream per video in a batch, the decoder outputs only the "
                                "sampled pictures (skip-output-shim)")):
            if key not in med:
                continue
            r = med[key]
            rss = "-" if r[2] != r[2] else f"{r[2]:.0f}"
            # The shim's decoder decodes what the plan feeds but outputs (and counts) the targets only.
            decoded = f"{int(med['m'][3])} ({int(r[3])} output)" if key == "s" else f"{int(r[3])}"
            lines.append(f"| {label} | {tool} | {r[0]:.2f} | {r[1]:.2f} | {rss} | {decoded} | "
                         f"{fmt(ratio('p', key))} | {fmt(ratio('pm', key))} |")
        vs_ffmpeg = ratio("g", "f")
        verdicts.append(f"{label}: fvc {fmt(ratio('p', 'm'))} the Python reference's per-video speed "
                        f"({fmt(ratio('pm', 'm'))} against the Python reference's own per-video time in a batch, "
                        f"{fmt(ratio('p', 'm1'))} one video at a time, {fmt(ratio('p', 'f'))} for one video "
                        f"counting fvc-stream's start-up), {vs_ffmpeg[0]:.2f}x ({vs_ffmpeg[1]:.2f}-{vs_ffmpeg[2]:.2f}) "
                        f"ffmpeg full decode's counting that start-up, {ratio('g', 'm')[0]:.2f}x in a batch; "
                        f"peak RSS {f[2] / p[2]:.2f} of Python's")
        # The ceiling: no batch can take less wall time per video than the floor's CPU time spread
        # over every core, so Python's time over that bounds any implementation's speed-up here.
        cores = os.cpu_count()
        ceiling = sorted(r["p"][0] / (r["d"][1] / cores) for r in rounds)
        over_floor = sorted(r["m"][1] / r["d"][1] for r in rounds)
        verdicts.append(f"{label}: ceiling on this machine {statistics.median(ceiling):.1f}x "
                        f"({ceiling[0]:.1f}-{ceiling[-1]:.1f}) the Python reference's speed (its one-video wall "
                        f"time over the decoding floor's CPU time shared by {cores} cores); fvc-stream's CPU per "
                        f"video in a batch is {statistics.median(over_floor):.2f}x ({over_floor[0]:.2f}-"
                        f"{over_floor[-1]:.2f}) the floor's")
        if shim_env:
            saved = sorted(1 - r["s"][1] / r["m"][1] for r in rounds)
            shim_floor = sorted(r["s"][1] / r["d"][1] for r in rounds)
            verdicts.append(f"{label}: with only the sampled pictures output by the decoder (experiment) "
                            f"{fmt(ratio('p', 's'))} the Python reference's speed; CPU per video "
                            f"{100 * statistics.median(saved):.0f} % ({100 * saved[0]:.0f} to {100 * saved[-1]:.0f} %) "
                            f"under fvc-stream's, {statistics.median(shim_floor):.2f}x the floor's")
    lines.append("")
    lines += [f"- {v}" for v in verdicts]
    if args.only:
        finish(lines, args.markdown)
        return

    # Memory bounds (issue 3): --jobs 1 so that one pipeline is alive at a time.
    ten = files["1080p x264 defaults"]
    many_dir = os.path.join(args.workdir, "many")
    os.makedirs(many_dir, exist_ok=True)
    many = []
    for i in range(50):
        dst = os.path.join(many_dir, f"copy{i:02d}.mp4")
        if not os.path.exists(dst):
            os.link(ten, dst)
        many.append(dst)
    one = fvc_once(args.workdir, [ten], ["--jobs", "1"])
    fifty = fvc_once(args.workdir, many, ["--jobs", "1"])
    longr = fvc_once(args.workdir, [long_1080], ["--jobs", "1"])
    lines.append("")
    lines.append("| memory (fvc-stream augment --jobs 1) | peak RSS MB | wall s |")
    lines.append("|---|---|---|")
    sec, _, sec_long = durations(args.quick)
    lines.append(f"| 1 video, 1080p {sec} s | {one[2]:.1f} | {one[0]:.2f} |")
    lines.append(f"| 50 videos, 1080p {sec} s | {fifty[2]:.1f} | {fifty[0]:.2f} |")
    lines.append(f"| 1 video, 1080p {sec_long} s | {longr[2]:.1f} | {longr[0]:.2f} |")
    lines.append("")
    lines.append(f"- 50 vs 1 video: {100 * (fifty[2] / one[2] - 1):+.1f} %; {sec_long} s vs {sec} s: "
                 f"{100 * (longr[2] / one[2] - 1):+.1f} % (bound: within 15 %); 1080p peak under 150 MB: "
                 f"{'yes' if max(one[2], fifty[2], longr[2]) < 150 else 'NO'}")

    # Threads: both cores on one video at a time, or one core each on two videos at once.
    four = many[:4]
    a = median_of(lambda: fvc_once(args.workdir, four, ["--jobs", "1", "--decoder-threads", "2"]), args.repeat)
    b = median_of(lambda: fvc_once(args.workdir, four, ["--jobs", "2", "--decoder-threads", "1"]), args.repeat)
    lines.append("")
    lines.append(f"| 4 videos, 1080p {sec} s | wall s | CPU s | peak RSS MB |")
    lines.append("|---|---|---|---|")
    lines.append(f"| --jobs 1 --decoder-threads 2 | {a[0]:.2f} | {a[1]:.2f} | {a[2]:.0f} |")
    lines.append(f"| --jobs 2 --decoder-threads 1 | {b[0]:.2f} | {b[1]:.2f} | {b[2]:.0f} |")

    finish(lines, args.markdown)


def finish(lines, markdown):
    text = "\n".join(lines) + "\n"
    print(text)
    if markdown:
        with open(markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
