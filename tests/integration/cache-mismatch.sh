#!/usr/bin/env bash
# cache-mismatch.sh — a cache built with other settings (frames, size, augmentations) is refused
# with a one-line message naming each differing setting, and is left untouched.
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/videos"
make_h264 "$WORK/videos/a.mp4" 40
printf 'video_path,label\nvideos/a.mp4,real\n' > "$WORK/index.csv"
fvc augment --index "$WORK/index.csv" --cache "$WORK/cache" --num-frames 6 --size 64 --augmentations 1
before=$(tree_digest "$WORK/cache")

expect_refusal () {
  local needle=$1; shift
  local rc=0 err
  err=$(fvc augment --index "$WORK/index.csv" --cache "$WORK/cache" "$@" 2>&1 >/dev/null) || rc=$?
  [ "$rc" -eq 1 ] || die "$*: exit code $rc, expected 1"
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || die "$*: not one line: $err"
  case $err in *"$needle"*) ;; *) die "$*: message does not name the setting ($needle): $err" ;; esac
  case $err in *"$WORK/cache"*) ;; *) die "$*: message does not name the cache: $err" ;; esac
}
expect_refusal "frames (cache 6, requested 8)" --num-frames 8 --size 64 --augmentations 1
expect_refusal "size (cache 64, requested 96)" --num-frames 6 --size 96 --augmentations 1
expect_refusal "augmentations (cache 1, requested 2)" --num-frames 6 --size 64 --augmentations 2
FVC_NUM_FRAMES=4 expect_refusal "frames (cache 6, requested 4)" --size 64 --augmentations 1
[ "$before" = "$(tree_digest "$WORK/cache")" ] || die "a refused run changed the cache"
# The environment default and the flag agree with the cache: accepted.
out=$(FVC_NUM_FRAMES=6 FVC_FIXED_SIZE=64 fvc augment --index "$WORK/index.csv" --cache "$WORK/cache" 2>&1)
case $out in *"nothing to do"*) ;; *) die "FVC_NUM_FRAMES/FVC_FIXED_SIZE matching the cache were not accepted: $out" ;; esac
note "ok"
