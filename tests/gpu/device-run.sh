#!/usr/bin/env bash
# device-run.sh — every GPU check of the CUDA backend in one call on the lent GPU machine (run from
# the repository root, with $OUT set, the bundle of tests/gpu/prepare-device-bundle.sh in .gpu/):
#   1. environment: unpack the runtime, find CUDA/cuDNN, nvidia-smi          -> env.log
#   2. test-gpu-layers, test-gpu-model, test-gpu-nodevice                    -> test-gpu-*.log
#   3. bench-train-gpu (fvc), bench_train_torch.py (PyTorch), two pipelines
#      fvcclipsrc ! fvctrainsink device=cuda, backend variants               -> bench.log, *.jsonl
#   4. results.md (bench-train-gpu-table.py) and summary.txt, printed last
# Every step has a time limit inside an overall budget (FVC_DEVICE_BUDGET_S, 330 s): a step that
# would not fit is skipped and said so; a failing step does not stop the others. FVC_DEVICE_STEPS
# (default tests,bench,torch,pipelines,variants) runs a subset, for a rerun of what was cut. At
# most 8 files land in $OUT (the device tool brings back 8). Needs bash, coreutils, tar+gzip, python3.
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
OUT=${OUT:-$ROOT/.gpu-out}
mkdir -p "$OUT"
BUDGET=${FVC_DEVICE_BUDGET_S:-330}
STEPS=",${FVC_DEVICE_STEPS:-tests,bench,torch,pipelines,variants},"
T0=$(date +%s)
SUMMARY=$OUT/summary.txt
ENVLOG=$OUT/env.log
BENCHLOG=$OUT/bench.log
FVCJSON=$OUT/bench-fvc.jsonl
TORCHJSON=$OUT/bench-torch.jsonl
RESULTS=$OUT/results.md
RT=${FVC_RT_DIR:-/tmp/fvc-rt}
CACHE=${FVC_BENCH_CACHE:-/tmp/fvc-bench-cache}
SECONDS_PER=${FVC_BENCH_SECONDS:-0.8}
PY=${FVC_PYTHON:-python3}
: > "$SUMMARY"

# The trace of this script goes to env.log, not to the output.
exec 3>>"$ENVLOG"
BASH_XTRACEFD=3
set -x

log () { echo "$*" | tee -a "$SUMMARY"; }
want () { [[ $STEPS == *",$1,"* ]]; }
elapsed () { echo $(( $(date +%s) - T0 )); }

# run_step NAME LIMIT LOGFILE CMD... — runs CMD with at most LIMIT seconds (less if the budget is
# nearly spent) appending to LOGFILE, and records OK / SKIP (77) / TIMEOUT / FAIL in the summary.
run_step () {
  local name=$1 limit=$2 logf=$3
  shift 3
  local left=$(( BUDGET - $(elapsed) - 20 ))
  if (( left < 15 )); then
    log "$name: NOT RUN (time budget of ${BUDGET}s spent)"
    return 0
  fi
  (( limit > left )) && limit=$left
  local t=$(date +%s) rc verdict
  echo "=== $name: $* (limit ${limit}s, at $(elapsed)s)" >> "$logf"
  timeout -k 5 "$limit" "$@" >> "$logf" 2>&1
  rc=$?
  case $rc in
    0) verdict=OK ;;
    77) verdict=SKIP ;;
    124|137) verdict=TIMEOUT ;;
    *) verdict=FAIL ;;
  esac
  log "$name: $verdict (rc=$rc, $(( $(date +%s) - t ))s)"
  return 0
}

# ---- 1. environment --------------------------------------------------------------------------
{
  echo "== $(date -u) $(uname -a)"
  echo "== budget ${BUDGET}s, OUT=$OUT"
  cat .gpu/MANIFEST 2>/dev/null || echo "no .gpu/MANIFEST: was tests/gpu/prepare-device-bundle.sh run and .gpu carried?"
  nvidia-smi 2>&1 || echo "nvidia-smi failed"
  nvidia-smi --query-gpu=name,memory.total,memory.used,clocks.sm,clocks.max.sm,power.draw,temperature.gpu \
    --format=csv 2>&1 || true
} >> "$ENVLOG" 2>&1

if [ ! -f .gpu/runtime.tar.gz ]; then
  log "setup: FAIL (.gpu/runtime.tar.gz missing: carry .gpu)"
else
  rm -rf "$RT" && mkdir -p "$RT" && tar -C "$RT" -xzf .gpu/runtime.tar.gz && log "setup: runtime unpacked into $RT"
fi
export LD_LIBRARY_PATH="$RT/rt/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export GST_PLUGIN_SYSTEM_PATH_1_0="$RT/rt/gst" GST_REGISTRY_FORK=no
export GST_PLUGIN_SCANNER_1_0="$RT/rt/gst-plugin-scanner" GST_REGISTRY=/tmp/fvc-gst-registry.bin
export GST_PLUGIN_PATH="$ROOT/.gpu/plugin"
export FVC_CUDA_MODULE="$ROOT/.gpu/plugin/libfvc-cuda.so"   # what device=cuda opens

# CUDA runtime, cuBLAS and cuDNN come from the machine; look where the loader does not.
missing=$(ldd .gpu/bin/test-gpu-layers 2>/dev/null | awk '/not found/{print $1}' | sort -u)
if [ -n "$missing" ]; then
  echo "== not found by the loader: $missing" >> "$ENVLOG"
  for lib in $missing; do
    hit=$(find /usr/local/cuda*/ /usr/lib/x86_64-linux-gnu /usr/local/lib /opt -name "$lib" 2>/dev/null | head -n 1)
    if [ -z "$hit" ]; then
      hit=$("$PY" - "$lib" 2>/dev/null <<'EOF'
import glob, os, site, sys
for d in site.getsitepackages() + [site.getusersitepackages()]:
    for p in glob.glob(os.path.join(d, "nvidia", "*", "lib", sys.argv[1])):
        print(p); raise SystemExit
EOF
)
    fi
    if [ -n "$hit" ]; then
      export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$(dirname "$hit")"
      echo "== $lib: $hit" >> "$ENVLOG"
    else
      log "setup: $lib not found on this machine"
    fi
  done
fi
{
  echo "== LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  ldd .gpu/bin/test-gpu-layers 2>&1
  "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "gpu", torch.cuda.is_available() and torch.cuda.get_device_name(0))' 2>&1
} >> "$ENVLOG" 2>&1

# ---- 2. tests ----------------------------------------------------------------------------------
for t in test-gpu-nodevice test-gpu-layers test-gpu-model; do
  want tests || break
  case $t in
    test-gpu-layers) lim=100 ;;
    test-gpu-model) lim=120 ;;
    *) lim=30 ;;
  esac
  run_step "$t" "$lim" "$OUT/$t.log" ".gpu/bin/$t"
done
# test-gpu-nodevice's log is short: keep it in the summary (8 files come back)
if [ -f "$OUT/test-gpu-nodevice.log" ]; then
  sed 's/^/  nodevice| /' "$OUT/test-gpu-nodevice.log" >> "$SUMMARY"
  rm -f "$OUT/test-gpu-nodevice.log"
fi

# ---- 3. benchmarks -----------------------------------------------------------------------------
if want bench; then
  run_step "bench-train-gpu" 120 "$BENCHLOG" .gpu/bin/bench-train-gpu --cache "$CACHE" --make-cache 256 \
    --seconds "$SECONDS_PER" --json "$FVCJSON"
  run_step "bench-train-gpu tf32" 30 "$BENCHLOG" .gpu/bin/bench-train-gpu --models naive_cnn --precisions tf32 \
    --modes resident,host --seconds "$SECONDS_PER" --json "$FVCJSON"
fi
if want torch; then
  run_step "bench_train_torch" 100 "$BENCHLOG" env PYTHONUNBUFFERED=1 "$PY" tests/bench/bench_train_torch.py \
    --seconds "$SECONDS_PER" --json "$TORCHJSON"
fi

# fvcclipsrc ! fvctrainsink device=cuda from the cache: clips/s from the sink's progress messages
gst_run () {
  local model=$1 precision=$2 epochs=$3 tmp=/tmp/fvc-gst-$1-$2.txt t
  t=$(date +%s.%N)
  run_step "pipeline $model $precision" 45 "$tmp" "$RT/rt/gst-launch-1.0" -m fvcclipsrc location="$CACHE" \
    epochs="$epochs" read-ahead=128 ! fvctrainsink device=cuda model="$model" precision="$precision" batch-size=128 \
    accumulation-steps=1 progress-interval=5
  cat "$tmp" >> "$BENCHLOG" 2>/dev/null
  "$PY" - "$tmp" "$model" "$precision" "$t" "$(date +%s.%N)" >> "$FVCJSON" 2>>"$BENCHLOG" <<'EOF'
import json, re, sys
path, model, precision, t0, t1 = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
text = open(path, errors="replace").read() if path else ""
rates = [float(x) for x in re.findall(r"clips-per-second=\(double\)([0-9.e+-]+)", text)]
clips = [int(x) for x in re.findall(r"fvc-train-done.*?clips=\(guint64\)([0-9]+)", text)]
row = {"impl": "gst", "model": model, "precision": precision, "batch": 128}
if rates:
    later = sorted(rates[1:] or rates)   # the first interval includes the first step's graph capture
    row["clips_per_s_progress"] = later[len(later) // 2]
if clips:
    row["clips"] = clips[-1]
    row["clips_per_s_wall"] = round(clips[-1] / (t1 - t0), 1)
if not rates and not clips:
    row["error"] = (re.findall(r"ERROR.*", text) or ["no progress messages"])[0][:200]
print(json.dumps(row))
EOF
  rm -f "$tmp"
}
if ! want pipelines; then
  :
elif [ -d "$CACHE" ] && [ -x "$RT/rt/gst-launch-1.0" ]; then
  gst_run naive_cnn bf16 12
  gst_run logistic_regression fp32 40
else
  log "pipelines: NOT RUN (no cache at $CACHE or no gst-launch-1.0 in the runtime)"
fi

# Backend settings other than the defaults, for tuning (lowest priority: whatever time is left).
for v in FVC_CUDA_GRAPHS=0 FVC_CUDNN_FIND=1 FVC_CUDA_POOL=kernel; do
  want variants || break
  run_step "variant $v" 40 "$BENCHLOG" env "$v" FVC_BENCH_VARIANT="$v" .gpu/bin/bench-train-gpu --models naive_cnn \
    --precisions fp32,bf16 --batches 4,128 --modes resident --seconds "$SECONDS_PER" --json "$FVCJSON"
done
want variants && run_step "variant FVC_CUDA_GRAPHS=0 linear" 20 "$BENCHLOG" env FVC_CUDA_GRAPHS=0 FVC_BENCH_VARIANT=FVC_CUDA_GRAPHS=0 \
  .gpu/bin/bench-train-gpu --models logistic_regression --precisions fp32 --batches 4,128 --modes resident \
  --seconds "$SECONDS_PER" --json "$FVCJSON"

# ---- 4. results --------------------------------------------------------------------------------
"$PY" tests/bench/bench-train-gpu-table.py "$FVCJSON" "$TORCHJSON" > "$RESULTS" 2>>"$BENCHLOG" ||
  log "results: FAIL (bench-train-gpu-table.py)"
set +x
{
  echo
  echo "== tests (last lines)"
  for t in test-gpu-layers test-gpu-model; do
    [ -f "$OUT/$t.log" ] && { grep -E '^(FAIL|CASE-FAILED)' "$OUT/$t.log" | head -n 20; tail -n 1 "$OUT/$t.log"; }
  done
  echo
  echo "== results ($(elapsed)s of ${BUDGET}s)"
  cat "$RESULTS" 2>/dev/null
} >> "$SUMMARY"
echo
echo "================ summary ================"
cat "$SUMMARY"
ls -la "$OUT"
exit 0
