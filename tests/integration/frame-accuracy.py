#!/usr/bin/env python3
"""frame-accuracy.py — every frame fvcsample passes is ffmpeg's frame k.

For H.264 with B-frames and a long GOP, a short GOP, a long file the gate seeks through, variable
frame rate and a non-zero start time, VP8 in WebM, MPEG-2 in MPEG-TS, an MPEG-1 elementary
stream without timestamps, H.265 with B-frames, VP9, AV1 in Matroska, Motion JPEG in AVI and
Matroska, H.264 in MOV, MPEG-4 Part 2 (Xvid) in AVI, Theora in Ogg, FFV1 in Matroska,
uncompressed AVI, interlaced, 10-bit and 4:4:4 H.264 (made here with ffmpeg), the extraction
front half (parsebin ! fvcdecodegate ! decoder ! fvcsample) runs through gst-launch-1.0, and
each frame it passes is compared, in the decoder's own YUV, with
`ffmpeg -vf select=eq(n\\,k) -fps_mode passthrough` (DESIGN.md "Frame numbering"): mean absolute
difference < 1. The decodable frame count fvc-stream reports must equal ffprobe -count_frames,
the decode plan must really be in effect where the file allows one, and the decoder compared is
the one fvc-stream picks. Last, `fvc-stream augment` extracts every one of the files.
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

FVC = os.environ["FVC_STREAM"]
W, H = 320, 240


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def ffmpeg(*args):
    run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args])


SRC = ["-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate=30"]

# name, ffmpeg output arguments, frames, decoder element, timed (a plan is possible; None: either)
CASES = [
    ("h264_longgop.mp4", ["-c:v", "libx264", "-preset", "veryfast", "-threads", "1",
                          "-x264-params", "keyint=250:scenecut=0:bframes=3:b-pyramid=normal"], 300, "avdec_h264", True),
    # 600 frames, a keyframe every 30: targets ~120 frames apart, so the gate seeks past the gaps
    ("h264_seeks.mp4", ["-c:v", "libx264", "-preset", "ultrafast", "-threads", "1",
                        "-x264-params", "keyint=30:bframes=3"], 600, "avdec_h264", True),
    ("h264_opengop.mp4", ["-c:v", "libx264", "-preset", "veryfast", "-threads", "1",
                          "-x264-params", "keyint=40:open-gop=1:bframes=3"], 200, "avdec_h264", True),
    ("h264_shortgop.mp4", ["-c:v", "libx264", "-preset", "veryfast", "-threads", "1",
                           "-x264-params", "keyint=30:bframes=3"], 150, "avdec_h264", True),
    # 60 frames at 30 fps, then 60 at 15 fps: timestamps only, no constant rate
    ("h264_vfr.mp4", ["-vf", "settb=1/1000,setpts='if(lt(N,60),N*33,1980+(N-60)*67)'", "-fps_mode", "passthrough",
                      "-c:v", "libx264", "-preset", "veryfast", "-threads", "1", "-x264-params", "keyint=24:bframes=0"],
     120, "avdec_h264", True),
    # The same with B-frames: qtdemux gives one of them no PTS here, so frames are counted
    ("h264_vfr_bframes.mp4", ["-vf", "settb=1/1000,setpts='if(lt(N,60),N*33,1980+(N-60)*67)'", "-fps_mode",
                              "passthrough", "-c:v", "libx264", "-preset", "veryfast", "-threads", "1",
                              "-x264-params", "keyint=24:bframes=2"], 120, "avdec_h264", None),
    # Matroska with B-frames: some blocks carry no PTS here, so frames may have to be counted
    ("h264_vfr.mkv", ["-vf", "settb=1/1000,setpts='if(lt(N,60),N*33,1980+(N-60)*67)'", "-fps_mode", "passthrough",
                      "-c:v", "libx264", "-preset", "veryfast", "-threads", "1", "-x264-params", "keyint=24:bframes=2"],
     120, "avdec_h264", None),
    ("h264_start10.mp4", ["-output_ts_offset", "10", "-c:v", "libx264", "-preset", "veryfast", "-threads", "1",
                          "-x264-params", "keyint=40:bframes=3"], 90, "avdec_h264", True),
    ("vp8.webm", ["-c:v", "libvpx", "-g", "30", "-b:v", "500k", "-threads", "1"], 90, "vp8dec", True),
    ("mpeg2.ts", ["-c:v", "mpeg2video", "-bf", "2", "-g", "15", "-q:v", "4"], 90, "avdec_mpeg2video", True),
    ("mpeg1.m1v", ["-c:v", "mpeg1video", "-bf", "2", "-g", "12", "-q:v", "4", "-f", "mpeg1video"], 60, None, False),
    # Other codecs and picture formats real datasets contain
    ("hevc.mp4", ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
                  "keyint=60:min-keyint=60:bframes=4:b-pyramid=1:log-level=error:pools=1:frame-threads=1"], 150,
     "avdec_h265", True),
    ("vp9.webm", ["-c:v", "libvpx-vp9", "-g", "40", "-b:v", "400k", "-deadline", "realtime", "-cpu-used", "8",
                  "-threads", "1"], 90, "vp9dec", True),
    ("av1.mkv", ["-c:v", "libaom-av1", "-g", "30", "-cpu-used", "8", "-b:v", "300k", "-threads", "1"], 60,
     "av1dec", True),
    # Motion JPEG: avidemux marks it parsed, matroskademux does not (and parsebin plugs no
    # jpegparse); jpegdec takes both
    ("mjpeg.avi", ["-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-q:v", "3"], 60, "jpegdec", True),
    ("mjpeg.mkv", ["-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-q:v", "3"], 60, "jpegdec", True),
    # Containers and codecs of older datasets, archives and editing
    ("h264.mov", ["-c:v", "libx264", "-preset", "veryfast", "-threads", "1", "-x264-params", "keyint=30:bframes=2"],
     90, "avdec_h264", True),
    ("xvid.avi", ["-c:v", "mpeg4", "-vtag", "xvid", "-g", "30", "-q:v", "4"], 90, "avdec_mpeg4", None),
    ("theora.ogv", ["-c:v", "libtheora", "-g", "30", "-q:v", "6"], 90, "theoradec", True),  # 3 in-band headers
    ("ffv1.mkv", ["-c:v", "ffv1", "-g", "30"], 60, "avdec_ffv1", True),
    ("raw.avi", ["-c:v", "rawvideo"], 30, "identity", True),                              # no decoder at all
    ("h264_interlaced.mp4", ["-c:v", "libx264", "-preset", "veryfast", "-threads", "1", "-flags", "+ildct+ilme",
                             "-x264-params", "keyint=30:bframes=2:interlaced=1:tff=1"], 90, "avdec_h264", True),
    ("h264_10bit.mp4", ["-c:v", "libx264", "-pix_fmt", "yuv420p10le", "-preset", "veryfast", "-threads", "1",
                        "-x264-params", "keyint=40:bframes=3"], 90, "avdec_h264", True),
    ("h264_444.mp4", ["-c:v", "libx264", "-pix_fmt", "yuv444p", "-preset", "veryfast", "-threads", "1",
                      "-x264-params", "keyint=40:bframes=3"], 90, "avdec_h264", True),
]

# The raw format frames are compared in (the decoder's own output), when not yuv420p: ffmpeg is
# asked for the same, so nothing is converted on either side.
PIX_FMT = {"mjpeg.avi": "yuvj420p", "mjpeg.mkv": "yuvj420p", "h264_10bit.mp4": "yuv420p10le", "h264_444.mp4": "yuv444p"}
FRAME_BYTES = {"yuv420p": W * H * 3 // 2, "yuvj420p": W * H * 3 // 2, "yuv420p10le": W * H * 3,
               "yuv444p": W * H * 3}
SAMPLE_TYPE = {"yuv420p10le": np.uint16}


def count_frames(path):
    out = run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
               "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path]).stdout
    return int(out.strip().split(",")[0])


def ffmpeg_frames(path, targets, pix_fmt):
    """ffmpeg's frames k (in target order) as raw pix_fmt bytes, one array per target."""
    unique = sorted(set(targets))
    expr = "+".join(f"eq(n\\,{k})" for k in unique)
    with tempfile.NamedTemporaryFile(suffix=".yuv") as f:
        ffmpeg("-i", path, "-vf", f"select={expr}", "-fps_mode", "passthrough", "-pix_fmt", pix_fmt,
               "-f", "rawvideo", f.name)
        raw = np.fromfile(f.name, np.uint8)
    size = FRAME_BYTES[pix_fmt]
    assert raw.size == size * len(unique), f"ffmpeg gave {raw.size // size} frames for {unique}"
    by_k = {k: raw[i * size:(i + 1) * size] for i, k in enumerate(unique)}
    return [by_k[k] for k in targets]


def fvc_frames(path, decoder, targets, outdir):
    """The frames fvcsample passes, in the decoder's own format, plus gst-launch's messages."""
    for f in os.listdir(outdir):
        os.unlink(os.path.join(outdir, f))
    dec = decoder if decoder else "decodebin"
    pipeline = (f'filesrc location="{path}" ! parsebin ! fvcdecodegate name=gate ! {dec} ! '
                f'fvcsample frame-indices={",".join(map(str, targets))} ! '
                f'multifilesink location="{outdir}/f%03d.yuv"')
    res = run(["gst-launch-1.0", "-m", *pipeline.split(" ")])
    files = sorted(os.listdir(outdir))
    frames = [np.fromfile(os.path.join(outdir, f), np.uint8) for f in files]
    return frames, res.stdout


def main():
    failures = []
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "out")
        os.mkdir(out)
        for name, args, n, decoder, timed in CASES:
            path = os.path.join(work, name)
            ffmpeg(*SRC, "-frames:v", str(n), "-pix_fmt", "yuv420p", *args, path)
            total = count_frames(path)
            probe = run([FVC, "probe", path]).stdout
            m = re.search(r"frames: (\d+) decodable", probe)
            fvc_total = int(m.group(1))
            if fvc_total != total:
                failures.append(f"{name}: fvc-stream counts {fvc_total} frames, ffprobe {total}")
                continue
            chosen = re.search(r"decoder: (\S+)", probe)
            if decoder is not None and (chosen is None or chosen.group(1) != decoder):
                # The comparison below runs the decoder fvc-stream augment picks (fvc_pipeline_find_decoder)
                failures.append(f"{name}: fvc-stream picks {chosen.group(1) if chosen else 'no decoder'}, "
                                f"expected {decoder}")
                continue
            is_timed = "timestamps identify frames: yes" in probe
            if timed is not None and is_timed != timed:
                failures.append(f"{name}: expected timed={timed}: {probe}")
            if "INCOMPLETE" in probe:
                failures.append(f"{name}: a complete file reported incomplete: {probe}")
            uniform = [(2 * i * (total - 1) + 5) // 10 for i in range(6)]
            extra = sorted({1, 2, total // 3 + 1, total // 2 - 1, total - 2})
            if "opengop" in name:  # leading B-frames of the GOPs at 40 and 80, and the keyframes
                extra = sorted({38, 39, 40, 79, 80, 119})
            for targets in (uniform, extra):
                pix_fmt = PIX_FMT.get(name, "yuv420p")
                got, messages = fvc_frames(path, decoder, targets, out)
                want = ffmpeg_frames(path, targets, pix_fmt)
                dtype = SAMPLE_TYPE.get(pix_fmt, np.uint8)
                if len(got) != len(targets):
                    failures.append(f"{name}: {len(got)} frames out for targets {targets}")
                    continue
                for k, a, b in zip(targets, got, want):
                    if a.size != b.size:
                        failures.append(f"{name}: frame {k}: {a.size} bytes, ffmpeg {b.size}")
                        continue
                    mad = np.abs(a.view(dtype).astype(np.int32) - b.view(dtype).astype(np.int32)).mean()
                    if mad >= 1.0:
                        failures.append(f"{name}: frame {k}: mean abs difference {mad:.2f} from ffmpeg's")
                if name == "h264_seeks.mp4":
                    seeks = int(re.search(r"seeks=\(guint64\)(\d+)", messages).group(1))
                    demuxed = int(re.search(r"packets-demuxed=\(guint64\)(\d+)", messages).group(1))
                    # The seeks are asynchronous (a flushing seek cannot be sent from the demuxer's
                    # own streaming thread), so how much they save depends on how far the demuxer
                    # has read on when they land: only that they are made is asserted (the saving
                    # is measured in docs/benchmarks.md), and the frames above are right either way.
                    if seeks == 0:
                        failures.append(f"{name}: no seek past the gaps ({demuxed} of {total} packets read)")
                    print(f"{name}: {seeks} seeks, {demuxed} of {total} packets read")
                planned = "planned=(boolean)true" in messages
                if planned != (is_timed and decoder is not None):
                    failures.append(f"{name}: decode plan {'on' if planned else 'off'}, expected the opposite")
            print(f"{name}: {total} frames, targets {uniform} and {extra}: ok" if not failures else f"{name}: done")
        # The whole extraction on every file: fvc-stream augment with the decoder it picks.
        index = os.path.join(work, "index.csv")
        with open(index, "w") as f:
            f.write("video_path,label\n")
            for i, (name, *_rest) in enumerate(CASES):
                f.write(f"{os.path.join(work, name)},{i % 2}\n")
        res = subprocess.run([FVC, "augment", "--index", index, "--cache", os.path.join(work, "cache"),
                              "--num-frames", "6", "--size", "64", "--augmentations", "1"],
                             capture_output=True, text=True)
        summary = re.search(r"summary: (\d+) videos ok.*?(\d+) failed", res.stderr + res.stdout)
        if res.returncode != 0 or summary is None or int(summary.group(1)) != len(CASES):
            failures.append(f"fvc-stream augment over the {len(CASES)} files (exit {res.returncode}):\n"
                            f"{res.stderr[-3000:]}")
        else:
            print(f"fvc-stream augment: all {len(CASES)} files extracted")
    if failures:
        print("\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
