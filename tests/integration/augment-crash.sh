#!/usr/bin/env bash
# augment-crash.sh — `fvc-stream augment` killed with SIGKILL at several points (before the first
# clip, after 1, 5 and 12 metadata rows, and at once) resumes on the next run, and the final cache
# is byte for byte the cache of an uninterrupted run.
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/videos"
printf 'video_path,label\n' > "$WORK/index.csv"
for i in $(seq -w 1 10); do
  make_h264 "$WORK/videos/v$i.mp4" $((80 + 7 * 10#$i)) 320x240 keyint=40:bframes=2
  printf 'videos/v%s.mp4,%s\n' "$i" $(( 10#$i % 2 )) >> "$WORK/index.csv"
done
args=(--index "$WORK/index.csv" --jobs 2 --augmentations 2 --size 64)

fvc augment "${args[@]}" --cache "$WORK/reference" > /dev/null 2>&1
reference=$(tree_digest "$WORK/reference")

rows () { local f=$1/augmented_metadata.csv; [ -f "$f" ] && grep -c '^clips/' "$f" || echo 0; }

kill_after_rows () {
  local cache=$1 n=$2 pid deadline
  "$FVC_STREAM" augment "${args[@]}" --cache "$cache" > /dev/null 2>&1 &   # the process itself, not a subshell
  pid=$!
  deadline=$(( $(date +%s) + 60 ))
  while [ "$(rows "$cache")" -lt "$n" ] && kill -0 "$pid" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || die "no progress to $n rows"
    sleep 0.005
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

for point in 0 1 5 12; do
  cache=$WORK/killed-$point
  if [ "$point" -eq 0 ]; then
    "$FVC_STREAM" augment "${args[@]}" --cache "$cache" > /dev/null 2>&1 &
    pid=$!
    sleep 0.02
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  else
    kill_after_rows "$cache" "$point"
  fi
  note "killed at $point rows: $(rows "$cache") rows, $(ls "$cache/clips" 2>/dev/null | wc -l) clip files"
  # A second kill of the resuming run, then the run that finishes.
  if [ "$point" -eq 5 ]; then
    kill_after_rows "$cache" 9
    note "killed the resumed run at $(rows "$cache") rows"
  fi
  fvc augment "${args[@]}" --cache "$cache" > "$WORK/resume.log" 2>&1 || { cat "$WORK/resume.log"; die "resume failed"; }
  if ! diff <(echo "$reference") <(tree_digest "$cache"); then
    diff "$WORK/reference/augmented_metadata.csv" "$cache/augmented_metadata.csv" || true
    cat "$WORK/resume.log"
    die "cache killed at $point rows differs from an uninterrupted run"
  fi
done
note "ok"
