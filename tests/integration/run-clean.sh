#!/usr/bin/env bash
# run-clean.sh — `fvc-stream clean` deletes ROOT/runs, ROOT/logs and ROOT/models and nothing
# else: archive/, videos/, data/ and files beside them survive; a symlink `runs -> elsewhere` is
# removed as a link with its target untouched; links inside runs/ are unlinked, never followed
# (not even a link to a directory, nor one to the root itself); nothing outside the root is
# deleted; --dry-run lists and deletes nothing; a second clean has nothing to do.
source "$(dirname "$0")/lib.sh"

# Every file under a directory with its content hash, and every link with its target.
snapshot () {
  (cd "$1" && find . \( -type f -o -type l \) -print0 | sort -z | while IFS= read -r -d '' p; do
    if [ -L "$p" ]; then printf 'L %s -> %s\n' "$p" "$(readlink "$p")"; else printf 'F %s %s\n' "$p" "$(sha256sum < "$p" | cut -c1-16)"; fi
  done)
}

root=$WORK/project
outside=$WORK/outside
mkdir -p "$root"/{archive/run_001,videos/synth,data,runs/run_001/fold0/svm,runs/run_002,logs,models/run_001} \
         "$outside/precious/deep"
echo keep > "$root/archive/run_001/results.csv"
echo video > "$root/videos/synth/real_000.mp4"
echo csv > "$root/data/video_index_input.csv"
echo notes > "$root/notes.txt"
echo r > "$root/runs/run_001/fold0/svm/metrics.json"
echo l > "$root/logs/run_001.log"
echo m > "$root/models/run_001/svm_fold0.safetensors"
echo secret > "$outside/precious/deep/file"
echo top > "$outside/file"
# Links inside runs/ pointing out of the root, at a directory, at a file, at the root itself.
ln -s "$outside/precious" "$root/runs/run_001/cache_link"
ln -s "$outside/file" "$root/runs/run_002/file_link"
ln -s "$root" "$root/runs/run_002/root_link"
ln -s ../../videos "$root/models/run_001/videos_link"
# A hard-to-see trap: a file named like a target beside real data.
mkdir -p "$root/data/runs" && echo d > "$root/data/runs/keep"

keep_root=$(snapshot "$root" | grep -E ' \./(archive|videos|data|notes)')
keep_outside=$(snapshot "$outside")

# --dry-run: lists, deletes nothing.
before=$(snapshot "$root")
out=$(fvc clean --root "$root" --dry-run)
printf '%s\n' "$out"
[ "$before" = "$(snapshot "$root")" ] || die "--dry-run deleted something"
case $out in *"would delete"*"runs/run_001/"*"runs/run_002/"*"logs/run_001.log"*"models/run_001/"*) ;;
  *) die "--dry-run does not list what would go: $out" ;; esac

fvc clean --root "$root"
for d in runs logs models; do
  [ ! -e "$root/$d" ] && [ ! -L "$root/$d" ] || die "$d survived the clean"
done
[ "$keep_root" = "$(snapshot "$root" | grep -E ' \./(archive|videos|data|notes)')" ] || die "clean touched archive/, videos/, data/ or notes.txt"
[ "$keep_outside" = "$(snapshot "$outside")" ] || die "clean touched files outside the root through a link"
[ -f "$root/data/runs/keep" ] || die "clean deleted data/runs"

# runs/ itself a symlink to a directory elsewhere: removed as a link, the target untouched.
mkdir -p "$outside/elsewhere/run_001"
echo x > "$outside/elsewhere/run_001/results.csv"
ln -s "$outside/elsewhere" "$root/runs"
ln -s "$outside/file" "$root/logs"
keep_outside=$(snapshot "$outside")
out=$(fvc clean --root "$root")
printf '%s\n' "$out"
[ ! -L "$root/runs" ] && [ ! -e "$root/runs" ] || die "the runs symlink was not removed"
[ ! -L "$root/logs" ] || die "the logs symlink was not removed"
[ "$keep_outside" = "$(snapshot "$outside")" ] || die "clean followed the runs symlink"
case $out in *"symbolic link"*) ;; *) die "the report does not say the link was removed as a link: $out" ;; esac
[ "$keep_root" = "$(snapshot "$root" | grep -E ' \./(archive|videos|data|notes)')" ] || die "second clean touched kept files"

# Nothing left: says so; the default root is the current directory.
out=$(cd "$root" && fvc clean)
case $out in *"nothing to clean"*) ;; *) die "a clean root did not say nothing to clean: $out" ;; esac

# A root that does not exist is an error (exit 1), not a silent success.
rc=0
fvc clean --root "$WORK/missing" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || die "clean of a missing root: exit $rc, expected 1"
note "ok"
