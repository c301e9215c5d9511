#!/usr/bin/python3
# reference-values.py — an independent Python re-implementation of the documented contracts of
# src/core (fvc-seed.h, fvc-sampler.h, fvc-folds.h), written from the header comments, not from
# the C code. It prints the values pinned as literals in tests/unit/test-*.c; the tests do not run
# it. Re-run with /usr/bin/python3 tests/unit/reference-values.py when a contract changes.
import hashlib
import math
from fractions import Fraction

M32 = 0xFFFFFFFF


def seed_from_path(path):
    return int(hashlib.md5(path.encode("utf-8")).hexdigest()[:8], 16) % 2**31


def philox4x32_10(ctr, key):
    """Salmon et al. SC'11; key bumped between rounds (Random123's philox4x32_R)."""
    c = list(ctr)
    k0, k1 = key
    for r in range(10):
        if r > 0:
            k0 = (k0 + 0x9E3779B9) & M32
            k1 = (k1 + 0xBB67AE85) & M32
        p0 = 0xD2511F53 * c[0]
        p1 = 0xCD9E8D57 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k0) & M32, p1 & M32, ((p0 >> 32) ^ c[3] ^ k1) & M32, p0 & M32]
    return c


def fnv1a32(name):
    h = 0x811C9DC5
    for b in name.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & M32
    return h


def block(seed, name, counter):
    return philox4x32_10([counter & M32, counter >> 32, 0, 0], [seed, fnv1a32(name)])


def unit(a, b):
    return ((a >> 5) * 2**26 + (b >> 6)) / 2.0**53


def rng_u32(seed, name, counter):
    return block(seed, name, counter)[0]


def rng_uniform(seed, name, counter):
    x = block(seed, name, counter)
    return unit(x[0], x[1])


def rng_below(seed, name, counter, n):
    return (block(seed, name, counter)[0] * n) >> 32


def rng_normal(seed, name, counter):
    x = block(seed, name, counter)
    u1 = max(unit(x[0], x[1]), 1e-300)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * unit(x[2], x[3]))


def shuffle(seed, name, perm):
    perm = list(perm)
    for i in range(len(perm) - 1, 0, -1):
        j = rng_below(seed, name, i, i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def clip_selection(rows, manifest=None, fold=0, split="train", include="all", videos=None):
    """fvc-clip-selection.h: the videos of the list (manifest split, videos file, or all sorted),
    each once, then each video's rows by augmentation index, filtered by include."""
    if manifest is not None:
        videos = [v for v, f in manifest if (f == fold) == (split == "val")]
    elif videos is None:
        videos = sorted({v for v, _ in rows})
    out, seen = [], set()
    for v in videos:
        if v in seen:
            continue
        seen.add(v)
        for aug in sorted(a for rv, a in rows if rv == v):
            if include == "all" or (include == "base") == (aug < 0):
                out.append((v, aug))
    return out


def epoch_order(clips, seed, fold, epoch):
    return [clips[i] for i in shuffle(seed, "fvcclipsrc/fold=%d/epoch=%d" % (fold, epoch), range(len(clips)))]


def random_segment(seed, n, total):
    return [i * total // n + rng_below(seed, "segment", i, (i + 1) * total // n - i * total // n)
            for i in range(n)]


def folds_stratified(labels, k, seed):
    fold_of = [None] * len(labels)
    nxt = 0
    for label, name in ((0, "folds-real"), (1, "folds-fake")):
        members = shuffle(seed, name, [i for i, l in enumerate(labels) if l == label])
        for v in members:
            fold_of[v] = nxt
            nxt = (nxt + 1) % k
    return fold_of


def folds_grouped(labels, groups, paths, k, seed):
    keys, members = [], {}
    for i, (l, g) in enumerate(zip(labels, groups)):
        key = ("g", g) if g else ("v", paths[i])
        if key not in members:
            keys.append(key)
            members[key] = []
        members[key].append(i)
    order = [keys[p] for p in shuffle(seed, "folds-groups", range(len(keys)))]
    order.sort(key=lambda key: -len(members[key]))  # stable: equal sizes keep the seeded order
    target = [Fraction(labels.count(0), k), Fraction(labels.count(1), k)]
    counts = [[0, 0] for _ in range(k)]
    fold_of = [None] * len(labels)
    for key in order:
        gc = [sum(1 for v in members[key] if labels[v] == c) for c in (0, 1)]
        # the rise of sum((fold_c - target_c)^2) that the move makes; fractions keep ties exact
        best = min(range(k), key=lambda f: (sum(gc[c] * (2 * (counts[f][c] - target[c]) + gc[c]) for c in (0, 1)),
                                            counts[f][0] + counts[f][1], f))
        counts[best][0] += gc[0]
        counts[best][1] += gc[1]
        for v in members[key]:
            fold_of[v] = best
    return fold_of


if __name__ == "__main__":
    print("# Philox KAT (must match Random123 kat_vectors)")
    for ctr, key in (([0] * 4, [0] * 2), ([M32] * 4, [M32] * 2),
                     ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0])):
        print(" ".join("%08x" % v for v in philox4x32_10(ctr, key)))
    print("# fnv1a32")
    for name in ("", "a", "foobar", "segment", "folds-real"):
        print(repr(name), "0x%08x" % fnv1a32(name))
    print("# fvc_rng_u32 / uniform / below / normal")
    for seed, name, counter in ((0, "flip", 0), (1141667350, "crop-x", 7), (12345, "noise", 2**32 + 5)):
        print(seed, name, counter, "u32=0x%08x" % rng_u32(seed, name, counter),
              "uniform=%.17g" % rng_uniform(seed, name, counter),
              "below(1000)=%d" % rng_below(seed, name, counter, 1000),
              "normal=%.17g" % rng_normal(seed, name, counter))
    print("# shuffle(42, 'deck', 0..9) =", shuffle(42, "deck", range(10)))
    print("# random_segment(seed=7, n=4, total=100) =", random_segment(7, 4, 100))
    print("# random_segment(seed=8, n=4, total=100) =", random_segment(8, 4, 100))
    labels = [0, 1, 1, 0, 1, 0, 1, 1, 0, 1]
    print("# folds_stratified(labels=%s, k=3, seed=2024) =" % labels, folds_stratified(labels, 3, 2024))
    # the fixture of test-clip-selection.c: (video, fold) of the manifest, (video, augmentation)
    # cache rows in the order they were appended
    sel_manifest = [("v0.mp4", 0), ("v1.mp4", 1), ("v2.mp4", 2), ("v3.mp4", 1), ("v4.mp4", 0), ("v5.mp4", 2),
                    ("v6.mp4", 2)]
    sel_rows = [("v0.mp4", -1), ("v0.mp4", 0), ("v0.mp4", 1), ("v1.mp4", -1), ("v1.mp4", 0), ("v3.mp4", 1),
                ("v3.mp4", -1), ("v3.mp4", 0), ("v2.mp4", 0), ("v2.mp4", -1), ("v2.mp4", 1), ("v4.mp4", -1),
                ("v6.mp4", 1), ("v6.mp4", 0), ("x9.mp4", -1), ("x9.mp4", 0)]
    fmt = lambda clips: " ".join("%s/%d" % c for c in clips)
    train1 = clip_selection(sel_rows, sel_manifest, fold=1, split="train", include="all")
    print("# clip_selection fold=1 train all =", fmt(train1))
    for seed, epoch in ((7, 0), (7, 3), (8, 0)):
        print("# epoch_order(seed=%d, fold=1, epoch=%d) =" % (seed, epoch), fmt(epoch_order(train1, seed, 1, epoch)))
    aug2 = clip_selection(sel_rows, sel_manifest, fold=2, split="train", include="augmented")
    print("# clip_selection fold=2 train augmented =", fmt(aug2))
    print("# epoch_order(seed=3000000000, fold=2, epoch=2) =", fmt(epoch_order(aug2, 3000000000, 2, 2)))
    print("# clip_selection fold=1 val base =", fmt(clip_selection(sel_rows, sel_manifest, fold=1, split="val",
                                                                    include="base")))
    print("# clip_selection all videos, all =", fmt(clip_selection(sel_rows)))
    print("# clip_selection videos v6 v0 v6 nope =", fmt(clip_selection(sel_rows, videos=["v6.mp4", "v0.mp4", "v6.mp4",
                                                                                            "nope.mp4"])))
    glabels = [0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1]
    groups = ["a", "a", "a", "b", "b", "b", "c", "c", "c", "", ""]
    paths = ["v%03d.mp4" % i for i in range(len(glabels))]
    print("# folds_grouped(labels=%s, groups=%s, k=2, seed=5) =" % (glabels, groups),
          folds_grouped(glabels, groups, paths, 2, 5))
    glabels = [0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1]
    groups = ["a", "a", "a", "b", "b", "c", "c", "d", "e", "e", "", "", "f", "f"]
    paths = ["v%03d.mp4" % i for i in range(len(glabels))]
    for seed in (77, 1234, 10):  # seed 10: the "smaller fold" tie-break decides
        print("# folds_grouped(labels=%s, groups=%s, k=3, seed=%d) =" % (glabels, groups, seed),
              folds_grouped(glabels, groups, paths, 3, seed))
