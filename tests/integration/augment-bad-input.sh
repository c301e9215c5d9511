#!/usr/bin/env bash
# augment-bad-input.sh — bad videos never stop the run or corrupt the cache: a zero-byte file, a
# truncated file, a text file named .mp4, a missing file, an audio-only file, a video shorter
# than --num-frames, and a file whose container promises more frames than it holds are each
# skipped with a one-line reason in the log and in failures.csv; the good videos are complete;
# the exit code is 3; --fail-fast stops at the first failure with exit code 1.
source "$(dirname "$0")/lib.sh"

v=$WORK/videos
mkdir -p "$v"
make_h264 "$v/good1.mp4" 60
make_h264 "$v/good2.mp4" 50 256x144
: > "$v/empty.mp4"
echo "this is not a video" > "$v/text.mp4"
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i sine=d=2 -c:a aac "$v/audio.mp4"
make_h264 "$v/short.mp4" 3
# Cut in the middle of the media data: the header (moved to the front) promises 300 frames.
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x240:rate=30 -frames:v 300 \
  -c:v libx264 -preset veryfast -threads 1 -movflags +faststart "$v/full.mp4"
head -c $(( $(stat -c %s "$v/full.mp4") / 2 )) "$v/full.mp4" > "$v/truncated.mp4"
# A container that lies: an MKV whose header states a 20 s duration for 60 frames at 30 fps.
make_h264 "$v/plain.mp4" 60
ffmpeg -nostdin -hide_banner -loglevel error -y -i "$v/plain.mp4" -c copy -metadata:s:v DURATION=00:00:20.000 \
  -write_crc32 0 "$v/tmp.mkv"
"$PY" - "$v/tmp.mkv" "$v/overreport.mkv" <<'PYEOF'
# Patch the Segment Info Duration (EBML id 0x4489, float) to 20000 ms.
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
i = data.find(b"\x44\x89")
assert i > 0, "no Duration element"
size = data[i + 2] & 0x7f
if size == 8:
    data[i + 3:i + 11] = struct.pack(">d", 20000.0)
else:
    data[i + 3:i + 7] = struct.pack(">f", 20000.0)
open(sys.argv[2], "wb").write(data)
PYEOF
rm -f "$v/tmp.mkv" "$v/plain.mp4" "$v/full.mp4"

cat > "$WORK/index.csv" <<'CSV'
video_path,label
videos/good1.mp4,real
videos/empty.mp4,fake
videos/text.mp4,real
videos/missing.mp4,fake
videos/audio.mp4,real
videos/short.mp4,fake
videos/truncated.mp4,real
videos/overreport.mkv,fake
videos/good2.mp4,fake
CSV

rc=0
fvc augment --index "$WORK/index.csv" --cache "$WORK/cache" --jobs 2 > "$WORK/log" 2>&1 || rc=$?
cat "$WORK/log"
[ "$rc" -eq 3 ] || die "exit code $rc, expected 3 (some videos failed)"

"$PY" - "$WORK" <<'PYEOF'
import csv, os, sys
work = sys.argv[1]
cache = os.path.join(work, "cache")
failures = {r["video_path"]: r["reason"] for r in csv.DictReader(open(os.path.join(cache, "failures.csv")))}
expect = {
    "videos/empty.mp4": "empty file",
    "videos/text.mp4": "not a video file",
    "videos/missing.mp4": "No such file",
    "videos/audio.mp4": "no video stream",
    "videos/short.mp4": "too short: 3 decodable frames, 6 needed",
    "videos/truncated.mp4": "incomplete file: the container promises 10.00 s (300 frames) but its 147 frames end at 4.9",
    "videos/overreport.mkv": "incomplete file: the container promises 20.00 s (600 frames) but its 60 frames end at 2.00 s",
}
assert set(failures) == set(expect), sorted(failures)
for video, needle in expect.items():
    assert needle in failures[video], (video, failures[video])
    assert "\n" not in failures[video]
log = open(os.path.join(work, "log")).read()
for video in expect:
    lines = [l for l in log.splitlines() if l.startswith("warning:") and video in l]
    assert len(lines) == 1, (video, lines)
# The cache is consistent: each row's clip exists, each clip has a row, only good videos.
rows = list(csv.DictReader(open(os.path.join(cache, "augmented_metadata.csv"))))
assert sorted({r["original_video"] for r in rows}) == ["videos/good1.mp4", "videos/good2.mp4"], rows
clips = sorted("clips/" + f for f in os.listdir(os.path.join(cache, "clips")))
assert clips == sorted(r["video_path"] for r in rows), (clips, rows)
assert len(rows) == 4
print("bad inputs: all reported, cache consistent")
PYEOF

# --fail-fast: the first failure stops the run (one job: nothing after it starts).
printf 'video_path,label\nvideos/empty.mp4,real\nvideos/good1.mp4,fake\n' > "$WORK/ff.csv"
rc=0
err=$(fvc augment --index "$WORK/ff.csv" --cache "$WORK/ff" --jobs 1 --fail-fast 2>&1 >/dev/null) || rc=$?
[ "$rc" -eq 1 ] || die "--fail-fast exit code $rc, expected 1"
case $err in *"stopped at the first failure"*"empty file"*) ;; *) die "--fail-fast message: $err" ;; esac
[ -z "$(ls "$WORK/ff/clips")" ] || die "--fail-fast went on after the failure"
note "ok"
