# lib.sh — shared helpers for the bash integration tests: a scratch directory removed on exit,
# the fvc-stream under test, failure reporting and small video fixtures made with ffmpeg.
set -euo pipefail

: "${FVC_STREAM:?run through meson test (FVC_STREAM unset)}"
PY=${FVC_TEST_PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fvc-test-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fvc () { "$FVC_STREAM" "$@"; }
die () { echo "FAIL: $*" >&2; exit 1; }
note () { echo "# $*"; }

# make_h264 OUT FRAMES [WIDTHxHEIGHT] [x264 params] — testsrc2 with B-frames, deterministic.
make_h264 () {
  local out=$1 frames=$2 size=${3:-320x240} params=${4:-keyint=30:bframes=3}
  ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=$size:rate=30" \
    -frames:v "$frames" -c:v libx264 -preset veryfast -threads 1 -x264-params "$params" -pix_fmt yuv420p "$out"
}

# sha256 of every file under DIR, relative paths, sorted: a cache's byte-level fingerprint.
tree_digest () {
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
}
