#!/usr/bin/env bash
# synth-determinism.sh — `fvc-stream synth` twice (--jobs 1 and --jobs 2) with a small config:
# byte-identical videos and index, the index's header, rows, labels, groups and relative paths,
# every video decodes (ffprobe, counting) to the requested frame count, usage errors exit 2 with
# one line, --help documents every option.
set -euo pipefail

: "${FVC_STREAM:?FVC_STREAM must point at the fvc-stream binary}"
command -v ffprobe >/dev/null || { echo "ffprobe not found" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

sources=3 fakes=2 frames=14
opts=(--sources $sources --fakes-per-source $fakes --frames $frames --width 96 --height 64 --fps 12 --seed 7)
for run in a b; do
  jobs=1; [ $run = b ] && jobs=2
  mkdir -p "$work/$run"
  (cd "$work/$run" && "$FVC_STREAM" synth "${opts[@]}" --jobs $jobs --output videos/synth \
     --index data/index.csv) 2>"$work/$run.log" || { cat "$work/$run.log" >&2; fail "synth run $run failed"; }
  grep -q "^synth: $((sources * (fakes + 1))) videos" "$work/$run.log" || fail "no summary line in run $run"
done

# Byte-identical trees, and no temporary files left behind.
(cd "$work/a" && find . -type f | sort | xargs sha256sum) >"$work/a.sum"
(cd "$work/b" && find . -type f | sort | xargs sha256sum) >"$work/b.sum"
diff -u "$work/a.sum" "$work/b.sum" || fail "the two runs differ"
! grep -q fvctmp "$work/a.sum" || fail "temporary files left behind"
[ "$(wc -l <"$work/a.sum")" -eq $((sources * (fakes + 1) + 1)) ] || fail "unexpected file count: $(wc -l <"$work/a.sum")"

# The index: header, one row per video, labels and groups.
csv="$work/a/data/index.csv"
[ "$(head -n1 "$csv")" = "video_path,label,group" ] || fail "bad header: $(head -n1 "$csv")"
[ "$(tail -n +2 "$csv" | wc -l)" -eq $((sources * (fakes + 1))) ] || fail "wrong row count"
[ "$(grep -c ',real,' "$csv")" -eq $sources ] || fail "wrong real count"
[ "$(grep -c ',fake,' "$csv")" -eq $((sources * fakes)) ] || fail "wrong fake count"
for ((s = 0; s < sources; s++)); do
  g=$(printf 'src_%03d' $s)
  [ "$(grep -c ",real,$g\$" "$csv")" -eq 1 ] || fail "group $g: not exactly one real"
  [ "$(grep -c ",fake,$g\$" "$csv")" -eq $fakes ] || fail "group $g: not $fakes fakes"
done
grep -q '^../videos/synth/real_000.mp4,real,src_000$' "$csv" || fail "paths are not relative to the index"

# Every video: H.264, the requested size, exactly --frames decodable frames.
tail -n +2 "$csv" | while IFS=, read -r path label group; do
  v="$work/a/data/$path"
  [ -s "$v" ] || fail "$path missing"
  info=$(ffprobe -v error -count_frames -select_streams v:0 \
           -show_entries stream=codec_name,width,height,nb_read_frames -of csv=p=0 "$v")
  [ "$info" = "h264,96,64,$frames" ] || fail "$path: got '$info', want h264,96,64,$frames"
done

# Usage errors: exit 2, one line on stderr naming the problem.
check_usage_error() {
  local rc=0
  (cd "$work" && "$FVC_STREAM" synth "$@" --output u/videos --index u/index.csv) >"$work/u.out" 2>"$work/u.err" || rc=$?
  [ $rc -eq 2 ] || fail "synth $*: exit $rc, want 2"
  [ "$(wc -l <"$work/u.err")" -eq 1 ] || { cat "$work/u.err" >&2; fail "synth $*: not one error line"; }
  grep -q '^fvc-stream synth: ' "$work/u.err" || fail "synth $*: error line without prefix"
  [ ! -e "$work/u/index.csv" ] || fail "synth $*: wrote an index anyway"
}
check_usage_error --frames 0
check_usage_error --width 97
check_usage_error --no-such-option
check_usage_error --seed -1

# --help documents every option.
help=$("$FVC_STREAM" synth --help)
for o in --output --index --sources --fakes-per-source --frames --width --height --fps --seed --jobs; do
  grep -q -- "$o" <<<"$help" || fail "--help does not mention $o"
done
echo "ok: byte-identical runs, index and frame counts checked"
