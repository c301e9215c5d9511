#!/usr/bin/env bash
# run-cluster.sh — the other ways through `fvc-stream run`:
#  - a persistent --cache is linked from the run, reused by the next run (no extraction), never
#    deleted by clean;
#  - --prepare-only, then `train` / `eval` per (fold, model) as separate processes, then
#    --collect give byte-identical results, predictions and checkpoints to the in-process run;
#  - the configuration layers: INI file < FVC_FIXED_SIZE < flags, per-model [model.X] settings,
#    recorded with their sources in config.ini, and the batch size really reaching the trainer;
#    an unknown key is refused;
#  - --keep-previous keeps run_001 and makes run_002;
#  - a (fold, model) that fails (a clip damaged in the cache after extraction) is marked failed
#    with the reason, the others complete, the exit status is 3.
source "$(dirname "$0")/lib.sh"

cd "$WORK"
fvc synth --output videos/synth --index data/video_index_input.csv --sources 3 --fakes-per-source 1 \
  --frames 16 --width 64 --height 48 > /dev/null
index=$WORK/data/video_index_input.csv
common=(--index "$index" --folds 3 --models logistic_regression,svm --size 24 --num-frames 3 --epochs 2 --cache "$WORK/cache")

# 1. In-process reference, filling the persistent cache.
fvc run --root "$WORK/a" "${common[@]}" > a.out 2>&1 || { cat a.out; die "reference run failed"; }
link=$WORK/a/runs/run_001/augmented_clips/shared
[ -L "$link" ] && [ "$(readlink "$link")" = "$WORK/cache" ] || die "the run does not link its cache to --cache"
[ "$(ls "$WORK/cache/clips" | wc -l)" -eq 12 ] || die "the persistent cache does not hold 6 videos x 2 clips"

# 2. The same experiment as cluster jobs, reusing the cache.
out=$(fvc run --root "$WORK/b" "${common[@]}" --prepare-only 2>&1) || { echo "$out"; die "--prepare-only failed"; }
case $out in *"nothing to do"*) ;; *) die "the second run extracted again instead of reusing the cache: $out" ;; esac
run=$WORK/b/runs/run_001
[ -f "$run/folds.csv" ] && [ ! -e "$run/results.csv" ] || die "--prepare-only did not stop after the folds"
rc=0; fvc eval --run "$run" --fold 0 --model svm 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || die "eval before train: exit $rc, expected 1"
rc=0; fvc train --run "$run" --fold 0 --model naive_cnn 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || die "train of a model the run does not have: exit $rc, expected 2"
rc=0; fvc train --run "$run" --fold 3 --model svm 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || die "train of fold 3 of 3: exit $rc, expected 2"
for k in 0 1 2; do
  for m in logistic_regression svm; do
    fvc train --run "$run" --fold $k --model $m > /dev/null 2>&1 || die "train fold $k $m failed"
    fvc eval --run "$run" --fold $k --model $m > /dev/null 2>&1 || die "eval fold $k $m failed"
  done
done
fvc run --collect "$run" > collect.out 2>&1 || { cat collect.out; die "--collect failed"; }
cmp "$WORK/a/runs/run_001/results.csv" "$run/results.csv" || die "cluster jobs and the in-process run differ (results.csv)"
for k in 0 1 2; do
  for m in logistic_regression svm; do
    cmp "$WORK/a/runs/run_001/fold$k/$m/predictions.csv" "$run/fold$k/$m/predictions.csv" || die "predictions fold $k $m differ"
    cmp "$WORK/a/models/run_001/${m}_fold$k.safetensors" "$WORK/b/models/run_001/${m}_fold$k.safetensors" || die "checkpoint fold $k $m differs"
  done
done
[ -f "$run/report/index.html" ] || die "--collect wrote no report"
grep -q "fvc-stream train" "$WORK/b/logs/run_001.log" || die "train jobs did not log to the run's log"

# 3. Clean keeps the persistent cache (the run only links it).
fvc clean --root "$WORK/b" > /dev/null
[ "$(ls "$WORK/cache/clips" | wc -l)" -eq 12 ] || die "clean deleted the persistent cache through the run's link"

# 4. Configuration layers, per-model settings, --keep-previous.
cat > exp.ini <<'INI'
[run]
folds=3
models=logistic_regression,svm
[extract]
size=40
num_frames=3
[train]
epochs=5
[model.svm]
batch_size=3
learning_rate=0.01
INI
FVC_FIXED_SIZE=24 fvc run --root "$WORK/a" --keep-previous --index "$index" --config exp.ini --epochs 1 \
  --cache "$WORK/cache" > c.out 2>&1 || { cat c.out; die "run with --config failed"; }
[ -d "$WORK/a/runs/run_001" ] && [ -d "$WORK/a/runs/run_002" ] || die "--keep-previous did not keep run_001 and add run_002"
ini=$WORK/a/runs/run_002/config.ini
expect_key () {  # expect_key GROUP KEY VALUE SOURCE
  "$PY" - "$ini" "$@" <<'PYEOF' || die "config.ini: [$1] $2 is not $3 from $4"
import sys
path, group, key, value, source = sys.argv[1:]
cur, comment = None, ""
for line in open(path):
    line = line.rstrip("\n")
    if line.startswith("["):
        cur = line[1:-1]
    elif line.startswith("#"):
        comment = line
    elif "=" in line:
        k, v = line.split("=", 1)
        if cur == group and k == key:
            sys.exit(0 if v == value and f"(from {source})" in comment else 1)
sys.exit(1)
PYEOF
}
expect_key extract size 24 "environment FVC_FIXED_SIZE"
expect_key extract num_frames 3 "config file exp.ini"
expect_key train epochs 1 "command line"
expect_key model.svm batch_size 3 "config file exp.ini"
expect_key model.svm learning_rate 0.01 "config file exp.ini"
expect_key model.svm epochs 1 "[train] epochs"
expect_key model.logistic_regression batch_size 8 "model default"
# The svm trained with batches of 3 (one progress row per optimizer step), logistic regression with 8.
"$PY" - "$WORK/a/runs/run_002" <<'PYEOF' || die "the per-model batch size did not reach the trainer"
import csv, math, sys
run = sys.argv[1]
for model, batch in (("svm", 3), ("logistic_regression", 8)):
    for k in range(3):
        d = f"{run}/fold{k}/{model}"
        clips = int(next(csv.DictReader(open(f"{d}/train_epochs.csv")))["clips"])
        steps = len(list(csv.DictReader(open(f"{d}/train_log.csv"))))
        assert steps == math.ceil(clips / batch), (model, k, clips, steps)
PYEOF
rc=0
printf '[train]\nepoch=3\n' > typo.ini
err=$(fvc run --root "$WORK/a" --keep-previous --index "$index" --config typo.ini 2>&1) || rc=$?
[ "$rc" -ne 0 ] || die "an unknown key in the config file was accepted"
case $err in *"unknown setting [train] epoch"*) ;; *) die "the refusal does not name the key: $err" ;; esac

# 5. A damaged clip: the (fold, model) pairs that train on it fail, the others complete, exit 3.
victim=$(awk -F, 'NR == 2 { print $3 }' "$WORK/cache/augmented_metadata.csv")
clip=$(awk -F, -v v="$victim" '$3 == v && $4 == 0 { print $1 }' "$WORK/cache/augmented_metadata.csv")
[ -n "$clip" ] || die "no augmented clip of $victim in the cache"
head -c 100 "$WORK/cache/$clip" > damaged && mv damaged "$WORK/cache/$clip"
rc=0
fvc run --root "$WORK/c" "${common[@]}" > d.out 2>&1 || rc=$?
[ "$rc" -eq 3 ] || { cat d.out; die "a run with failed trainings: exit $rc, expected 3"; }
"$PY" - "$WORK/c/runs/run_001" "$victim" <<'PYEOF' || die "failures not recorded as expected"
import csv, json, sys
run, victim = sys.argv[1], sys.argv[2]
fold = {r["video_path"]: int(r["fold"]) for r in csv.DictReader(open(f"{run}/folds.csv"))}[victim]
rows = [r for r in csv.DictReader(open(f"{run}/results.csv")) if r["fold"] not in ("mean", "std")]
assert len(rows) == 6, rows
for r in rows:
    k = int(r["fold"])
    want = "ok" if k == fold else "failed"      # only the folds that train on the victim fail
    assert r["status"] == want, (r, fold)
    m = json.load(open(f"{run}/fold{k}/{r['model']}/metrics.json"))
    assert m["status"] == want, m
    if want == "failed":
        assert m["error"] and r["roc_auc"] == "nan", m
summary = [r for r in csv.DictReader(open(f"{run}/results.csv")) if r["fold"] == "mean"]
assert all(r["status"] == "partial" for r in summary), summary
PYEOF
grep -q "failed" "$WORK/c/logs/run_001.log" || die "the failures are not in the log"
note "ok"
