#!/usr/bin/env bash
# fixtures.sh — tests/fixtures/make-fixtures: every file of the manifest exists (missing.mp4
# excepted), its frame count matches an independent count (ffprobe -count_frames) and the values
# the generator was built for, a second run changes nothing, and ffmpeg-frame.sh returns frame k
# in native YUV (distinct frames differ, a frame past the end fails).
set -euo pipefail

: "${FVC_SOURCE_ROOT:?FVC_SOURCE_ROOT must point at the source tree}"
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { echo "ffmpeg/ffprobe not found" >&2; exit 77; }
fx="$FVC_SOURCE_ROOT/tests/fixtures"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$fx/make-fixtures" "$work/fx" || fail "make-fixtures failed"
man="$work/fx/manifest.csv"
[ "$(head -n1 "$man")" = "name,kind,frames,container_frames,expect,notes" ] || fail "bad manifest header"

# What each file was made to be: decodable frames (ffmpeg's count).
declare -A want=(
  [h264_bframes_longgop.mp4]=300 [h264_shortgop.mp4]=150 [h264_vfr.mkv]=120 [h264_nonzero_start.mp4]=90
  [vp8.webm]=90 [mpeg2.ts]=90 [mpeg1.m1v]=60 [short.mp4]=3 [overreport.mp4]=90
  [empty.mp4]=0 [text.mp4]=0 [audio_only.mp4]=0 [missing.mp4]=0
)
seen=0
while IFS=, read -r name kind frames cframes expect notes; do
  seen=$((seen + 1))
  f="$work/fx/$name"
  if [ "$name" = missing.mp4 ]; then
    [ ! -e "$f" ] || fail "missing.mp4 exists"
    continue
  fi
  [ -e "$f" ] || fail "$name not created"
  # Independent count: ffprobe decodes and counts (not the container's nb_frames).
  probe=$(ffprobe -v quiet -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
            -of default=nw=1:nk=1 "$f" 2>/dev/null | head -n1 || true)
  [ -n "$probe" ] || probe=0
  [ "$probe" = "$frames" ] || fail "$name: manifest says $frames frames, ffprobe counts $probe"
  if [ -n "${want[$name]+x}" ]; then
    [ "$frames" = "${want[$name]}" ] || fail "$name: $frames frames, want ${want[$name]}"
  fi
  case "$kind" in
    bad-truncated)
      [ "$cframes" = 300 ] && [ "$frames" -gt 0 ] && [ "$frames" -lt 300 ] ||
        fail "truncated.mp4 should promise 300 frames and deliver fewer (got $frames/$cframes)" ;;
    bad-overreport)
      [ "$cframes" = 120 ] || fail "overreport.mp4 should claim 120 frames (got $cframes)" ;;
  esac
done < <(tail -n +2 "$man")
[ $seen -eq 14 ] || fail "manifest has $seen rows, want 14"

# Properties the extraction tests rely on.
st=$(ffprobe -v error -select_streams v:0 -show_entries stream=start_time -of default=nw=1:nk=1 \
       "$work/fx/h264_nonzero_start.mp4")
[ "${st%%.*}" = 10 ] || fail "h264_nonzero_start.mp4 starts at $st, want 10 s"
keys=$(ffprobe -v error -select_streams v:0 -show_entries packet=flags -of csv=p=0 \
         "$work/fx/h264_bframes_longgop.mp4" | grep -n K | cut -d: -f1 | tr '\n' ' ')
[ "$keys" = "1 251 " ] || fail "longgop keyframes at packets '$keys', want 1 and 251"
# Frame durations in output order, bucketed (Matroska stores whole milliseconds: 16/17, 33/34, 66/67).
durs=$(ffprobe -v error -select_streams v:0 -show_entries frame=pts_time -of csv=p=0 "$work/fx/h264_vfr.mkv" |
         tr -d , | grep . | awk 'NR > 1 { d = ($1 - p) * 1000
                                            if (d > 14 && d < 19) print 17; else if (d > 31 && d < 36) print 33
                                            else if (d > 64 && d < 70) print 67; else print "bad:" d }
                                 { p = $1 }' | sort -u | tr '\n' ' ')
[ "$durs" = "17 33 67 " ] || fail "h264_vfr.mkv frame durations (ms) '$durs', want 17 33 67"

# Idempotent: nothing is rewritten.
before=$(stat -c '%n %Y %s' "$work"/fx/*.mp4 "$work"/fx/*.mkv | sort)
"$fx/make-fixtures" "$work/fx"
after=$(stat -c '%n %Y %s' "$work"/fx/*.mp4 "$work"/fx/*.mkv | sort)
[ "$before" = "$after" ] || fail "a second run rewrote fixtures"

# The frame reference: native I420 of 320x240, frames differ, past the end fails.
ref="$fx/ffmpeg-frame.sh"
info=$("$ref" "$work/fx/h264_bframes_longgop.mp4" 0 "$work/f0.yuv")
[ "$info" = "320 240 yuv420p" ] || fail "ffmpeg-frame.sh printed '$info'"
"$ref" "$work/fx/h264_bframes_longgop.mp4" 299 "$work/f299.yuv" >/dev/null
"$ref" "$work/fx/h264_bframes_longgop.mp4" 179 "$work/f179.yuv" >/dev/null
[ "$(stat -c %s "$work/f0.yuv")" = $((320 * 240 * 3 / 2)) ] || fail "frame 0 has the wrong size"
! cmp -s "$work/f0.yuv" "$work/f299.yuv" || fail "frames 0 and 299 are identical"
! cmp -s "$work/f179.yuv" "$work/f299.yuv" || fail "frames 179 and 299 are identical"
# Frame 179 must be the 180th frame ffmpeg outputs: compare with a full decode.
ffmpeg -nostdin -v error -i "$work/fx/h264_bframes_longgop.mp4" -fps_mode passthrough -f rawvideo "$work/all.yuv"
dd if="$work/all.yuv" of="$work/f179-full.yuv" bs=115200 skip=179 count=1 status=none
cmp -s "$work/f179.yuv" "$work/f179-full.yuv" || fail "ffmpeg-frame.sh frame 179 is not the 180th decoded frame"
if "$ref" "$work/fx/h264_bframes_longgop.mp4" 300 "$work/f300.yuv" 2>/dev/null; then
  fail "ffmpeg-frame.sh returned a frame 300 of a 300-frame video"
fi
echo "ok: $seen manifest rows checked"
