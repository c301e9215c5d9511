#!/usr/bin/env bash
# augment-determinism.sh — `fvc-stream augment` twice, and with --jobs 1 vs --jobs 2, gives
# byte-identical caches; a second run on a complete cache does nothing; the clips load with an
# independent numpy reader with the right shape, dtype, label and frame indices.
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/videos"
make_h264 "$WORK/videos/a.mp4" 90 320x240 keyint=250:scenecut=0:bframes=3
make_h264 "$WORK/videos/b c.mp4" 61 256x144 keyint=30:bframes=2
make_h264 "$WORK/videos/d.mp4" 120 160x120 keyint=12:bframes=0
make_h264 "$WORK/videos/e.mp4" 45 320x180
printf 'video_path,label,group\nvideos/a.mp4,real,1\n"videos/b c.mp4",fake,1\nvideos/d.mp4,0,2\nvideos/e.mp4,FAKE,2\n' > "$WORK/index.csv"

fvc augment --index "$WORK/index.csv" --cache "$WORK/c1" --jobs 1 --augmentations 2 --size 64
fvc augment --index "$WORK/index.csv" --cache "$WORK/c2" --jobs 2 --augmentations 2 --size 64
fvc augment --index "$WORK/index.csv" --cache "$WORK/c3" --jobs 2 --augmentations 2 --size 64

[ "$(ls "$WORK/c1/clips" | wc -l)" -eq 12 ] || die "expected 4 videos x 3 clips, got $(ls "$WORK/c1/clips")"
diff <(tree_digest "$WORK/c1") <(tree_digest "$WORK/c2") || die "--jobs 1 and --jobs 2 caches differ"
diff <(tree_digest "$WORK/c2") <(tree_digest "$WORK/c3") || die "two --jobs 2 runs differ"

before=$(tree_digest "$WORK/c1")
out=$(fvc augment --index "$WORK/index.csv" --cache "$WORK/c1" --jobs 2 --augmentations 2 --size 64 2>&1)
case $out in *"nothing to do: all 4 videos are in"*) ;; *) die "second run did not say nothing to do: $out" ;; esac
[ "$before" = "$(tree_digest "$WORK/c1")" ] || die "a run on a complete cache changed it"

# Independent reader: safetensors parsed by hand with numpy.
"$PY" - "$WORK/c1" "$WORK/index.csv" <<'PYEOF'
import csv, json, os, struct, sys
import numpy as np
cache, index = sys.argv[1], sys.argv[2]
labels = {r["video_path"]: (1 if r["label"].lower() in ("fake", "1") else 0) for r in csv.DictReader(open(index))}
frames = {"videos/a.mp4": 90, "videos/b c.mp4": 61, "videos/d.mp4": 120, "videos/e.mp4": 45}
rows = list(csv.DictReader(open(os.path.join(cache, "augmented_metadata.csv"))))
assert len(rows) == 12, len(rows)
assert [r["original_video"] for r in rows[::3]] == list(labels), "rows not in index order"
for r in rows:
    raw = open(os.path.join(cache, r["video_path"]), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    t = header["clip"]
    assert t["dtype"] == "U8" and t["shape"] == [6, 64, 64, 3], t
    begin, end = t["data_offsets"]
    clip = np.frombuffer(raw[8 + n + begin:8 + n + end], np.uint8).reshape(t["shape"])
    assert 8 + n + end == len(raw)
    md = header["__metadata__"]
    video = md["video_path"]
    assert video == r["original_video"]
    assert int(md["label"]) == labels[video] == int(r["label"])
    assert int(md["augmentation_idx"]) == int(r["augmentation_idx"])
    total = frames[video]
    expect = [(2 * i * (total - 1) + 5) // 10 for i in range(6)]  # round half up of i*(total-1)/5
    assert md["frame_indices"] == ",".join(map(str, expect)), (md["frame_indices"], expect)
    assert clip.std() > 5, "clip is flat"
    assert "frames=6" in md["config"] and "size=64" in md["config"]
print("numpy reader: 12 clips ok")
PYEOF
note "ok"
