#!/usr/bin/env bash
# prepare-device-bundle.sh — runs HERE (the build machine, no GPU): builds the CUDA backend's GPU
# tests, the GPU training benchmark and the plugin in build-cuda/, and packs into .gpu/ (ignored
# by git, carried by the device call) everything tests/gpu/device-run.sh needs on the lent GPU
# machine, which has CUDA, cuDNN and python3+torch but no GLib, GStreamer or oneDNN:
#   .gpu/bin/            test-gpu-layers, test-gpu-model, test-gpu-nodevice, bench-train-gpu
#   .gpu/plugin/         libgstfvc.so and the CUDA backend module libfvc-cuda.so it opens (for
#                        the fvcclipsrc ! fvctrainsink device=cuda runs)
#   .gpu/runtime.tar.gz  the shared libraries they need (../shared/gpu/pack-runtime --gst: GLib,
#                        oneDNN for the CPU reference, GStreamer core + gst-launch), compressed
#                        because oneDNN alone is 40 MB and a call carries 64 MiB
#   .gpu/MANIFEST        what was packed, from which commit
# Then it runs device-run.sh here once: with no driver every GPU program must exit 77 and the
# script must say so (a check of the bundle and of the script's logic). See tests/gpu/README.md.
set -euo pipefail
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
build=${FVC_BUILD_CUDA:-build-cuda}
pack_runtime=${FVC_PACK_RUNTIME:-$root/../shared/gpu/pack-runtime}
limit_mib=60

[ -x "$pack_runtime" ] || [ -f "$pack_runtime" ] || { echo "prepare: no pack-runtime at $pack_runtime" >&2; exit 1; }
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" -Dcuda=enabled
fi
grep -q 'FVC_HAVE_CUDA 1' "$build/config.h" || { echo "prepare: $build has no CUDA backend (meson -Dcuda=enabled)" >&2; exit 1; }
ninja -C "$build" tests/gpu/test-gpu-layers tests/gpu/test-gpu-model tests/gpu/test-gpu-nodevice \
  tests/bench/bench-train-gpu elements/libgstfvc.so src/libfvc-cuda.so

exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qx '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >> "$exclude"

rm -rf .gpu
mkdir -p .gpu/bin .gpu/plugin .gpu/stage
for f in tests/gpu/test-gpu-layers tests/gpu/test-gpu-model tests/gpu/test-gpu-nodevice tests/bench/bench-train-gpu; do
  objcopy --strip-debug "$build/$f" ".gpu/bin/$(basename "$f")"
done
objcopy --strip-debug "$build/elements/libgstfvc.so" .gpu/plugin/libgstfvc.so
# The CUDA backend module the plugin opens for device=cuda (FVC_CUDA_MODULE in device-run.sh).
objcopy --strip-debug "$build/src/libfvc-cuda.so" .gpu/plugin/libfvc-cuda.so
bash "$pack_runtime" --gst .gpu/stage/rt .gpu/bin/* .gpu/plugin/libgstfvc.so .gpu/plugin/libfvc-cuda.so
tar -C .gpu/stage -czf .gpu/runtime.tar.gz rt
rm -rf .gpu/stage

{
  echo "fvc-stream GPU bundle"
  echo "commit: $(git rev-parse HEAD) ($(git status --porcelain --untracked-files=no | wc -l) files modified)"
  echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m)"
  echo "nvcc: $("${NVCC:-/usr/local/cuda/bin/nvcc}" --version | tail -1)"
  echo "cudnn headers: $(awk '/define CUDNN_(MAJOR|MINOR|PATCHLEVEL)/{printf "%s.", $3}' /usr/local/cuda/include/cudnn_version.h | sed 's/\.$//')"
  echo "files:"
  (cd .gpu && find . -type f ! -name MANIFEST -printf '  %p %s\n' | sort)
} > .gpu/MANIFEST

size_kib=$(du -sk .gpu | cut -f1)
echo "prepare: .gpu is $((size_kib / 1024)) MiB (limit ${limit_mib} MiB)"
if [ "$size_kib" -gt $((limit_mib * 1024)) ]; then
  echo "prepare: .gpu is too large to carry" >&2
  exit 1
fi

# The same script as on the GPU machine, here: with no driver every program must skip (77).
if [ "${FVC_PREPARE_NO_DRYRUN:-0}" != 1 ]; then
  out=$(mktemp -d /tmp/fvc-dryrun.XXXXXX)
  echo "prepare: dry run of tests/gpu/device-run.sh without a GPU (OUT=$out)"
  OUT=$out FVC_DEVICE_BUDGET_S=120 bash tests/gpu/device-run.sh > "$out.stdout" 2>&1 || true
  tail -n 40 "$out.stdout"
  if grep -q 'test-gpu-layers: SKIP' "$out/summary.txt" && grep -q 'test-gpu-model: SKIP' "$out/summary.txt" &&
     grep -q 'test-gpu-nodevice: OK' "$out/summary.txt"; then
    echo "prepare: dry run OK (programs start with the packed runtime and skip without a device)"
  else
    echo "prepare: dry run did not report the expected skips; see $out" >&2
    exit 1
  fi
fi
echo "prepare: ready; the device call is in tests/gpu/README.md"
