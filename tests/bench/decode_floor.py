#!/usr/bin/env python3
"""decode_floor.py — the decoding floor of one video's extraction: libavcodec alone, fed exactly
the packets fvc-stream's decode plan feeds, on one thread, with nothing around it.

No extraction of these frames can cost less CPU than this with libavcodec as the decoder: the
packets are the plan's (the keyframe→target spans without the non-reference pictures nothing
needs; `fvc-stream probe --packets` marks them "feed"), demuxed before the clock starts, decoded
by PyAV's binding of the same libavcodec GStreamer's avdec_* use, one thread (no threading
overhead), no colour conversion, no resize, no file output. Divided by the number of cores, it
bounds the per-video time of any batch on this machine from below, so it bounds the speed-up
any implementation can show against the Python reference.

Usage: decode_floor.py VIDEO PACKETS.txt [--repeat N]
  PACKETS.txt: the output of `fvc-stream probe --packets VIDEO` (same sampling as the extraction).
Prints one JSON line: the median over --repeat passes of CPU and wall seconds, packets fed,
pictures decoded. Run with Debian's /usr/bin/python3 (python3-av).
"""
import argparse
import json
import statistics
import sys
import time

import av


def planned_packets(packets_txt):
    """(decode-order positions the plan feeds, packets listed) from a `probe --packets` listing."""
    fed, listed = [], 0
    in_table = False
    for line in open(packets_txt):
        fields = line.split()
        if fields[:2] == ["packet", "frame"]:
            in_table = True
            if fields[-1] != "plan":
                sys.exit(f"{packets_txt}: no plan column (an fvc-stream older than decode_floor.py?)")
            continue
        if in_table and len(fields) == 7 and fields[0].isdigit():
            listed += 1
            if fields[6] == "feed":
                fed.append(int(fields[0]))
    if not fed:
        sys.exit(f"{packets_txt}: the plan feeds no packet (no plan for this video?)")
    return fed, listed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("video")
    ap.add_argument("packets_txt")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    fed, listed = planned_packets(args.packets_txt)
    with av.open(args.video) as container:
        stream = container.streams.video[0]
        codec_name = stream.codec_context.name
        extradata = stream.codec_context.extradata
        # Decode order, empty end-of-stream packets left out: the numbering of `probe --packets`.
        packets = [p for p in container.demux(stream) if p.size]
    if listed != len(packets):  # the positions would name other packets
        sys.exit(f"{args.video}: fvc-stream's index lists {listed} packets, PyAV demuxes {len(packets)}")
    chosen = [packets[i] for i in fed]

    runs = []
    for _ in range(args.repeat):
        decoder = av.CodecContext.create(codec_name, "r")
        decoder.extradata = extradata
        decoder.thread_count = 1
        decoder.thread_type = "NONE"
        c0, w0 = time.process_time(), time.perf_counter()
        pictures = 0
        for packet in chosen:
            pictures += len(decoder.decode(packet))
        pictures += len(decoder.decode(None))
        runs.append((time.process_time() - c0, time.perf_counter() - w0, pictures))
    print(json.dumps({
        "cpu_s": statistics.median(r[0] for r in runs), "wall_s": statistics.median(r[1] for r in runs),
        "packets_fed": len(chosen), "pictures_decoded": runs[0][2],
    }))


if __name__ == "__main__":
    sys.exit(main())
