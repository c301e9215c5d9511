#!/usr/bin/python3
# reference-augment.py — an independent Python re-implementation of the per-clip parameter draws
# documented at the top of src/media/fvc-augment.h, written from that comment, not from the C
# code. It uses the RNG of reference-values.py (itself written from fvc-seed.h) and prints the
# values pinned as literals in tests/unit/test-augment.c; the tests do not run it.
# Re-run with /usr/bin/python3 tests/unit/reference-augment.py when the contract changes.
import importlib.util
import math
import os

_spec = importlib.util.spec_from_file_location(
    "reference_values", os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference-values.py"))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

DEFAULTS = dict(crop_scale=(0.6, 1.0), crop_ratio=(3 / 4, 4 / 3), flip_p=0.5, jitter_p=0.8,
                brightness=0.2, contrast=0.2, saturation=0.2, blur_p=0.2, blur_sigma=(0.3, 1.5),
                noise_p=0.2, noise_sigma=(2.0, 8.0), jpeg_p=0.3, jpeg_quality=(60, 95))


def rng_range(seed, name, lo, hi):
    return lo + (hi - lo) * ref.rng_uniform(seed, name, 0)


def position(seed, name, length, square, crop):
    o = (length - square) // 2
    lo = max(0, min(o, o + square - crop))
    hi = min(length - crop, max(o, o + square - crop))
    return lo + ref.rng_below(seed, name, 0, hi - lo + 1)


def draw(base_seed, idx, w, h, s=DEFAULTS):
    seed = base_seed if idx < 0 else (base_seed + idx) & ref.M32
    sq = min(w, h)
    p = dict(seed=seed, crop=((w - sq) // 2, (h - sq) // 2, sq, sq))
    if idx < 0:
        return p
    a = rng_range(seed, "crop-scale", *s["crop_scale"])
    r = math.exp(rng_range(seed, "crop-ratio", math.log(s["crop_ratio"][0]), math.log(s["crop_ratio"][1])))
    cw = min(max(math.floor(sq * math.sqrt(a * r) + 0.5), 1), w)
    ch = min(max(math.floor(sq * math.sqrt(a / r) + 0.5), 1), h)
    p["crop"] = (position(seed, "crop-x", w, sq, cw), position(seed, "crop-y", h, sq, ch), cw, ch)
    p["flip"] = ref.rng_uniform(seed, "flip", 0) < s["flip_p"]
    p["jitter"] = ref.rng_uniform(seed, "jitter", 0) < s["jitter_p"]
    for k in ("brightness", "contrast", "saturation"):
        p[k] = rng_range(seed, k, max(0.0, 1 - s[k]), 1 + s[k])
    p["blur"] = ref.rng_uniform(seed, "blur", 0) < s["blur_p"]
    p["blur_sigma"] = rng_range(seed, "blur-sigma", *s["blur_sigma"])
    p["noise"] = ref.rng_uniform(seed, "noise", 0) < s["noise_p"]
    p["noise_sigma"] = rng_range(seed, "noise-sigma", *s["noise_sigma"])
    p["jpeg"] = ref.rng_uniform(seed, "jpeg", 0) < s["jpeg_p"]
    q0, q1 = s["jpeg_quality"]
    p["jpeg_quality"] = q0 + ref.rng_below(seed, "jpeg-quality", 0, q1 - q0 + 1)
    return p


def fmt(p):
    out = ["seed=%d" % p["seed"], "crop=%s" % (p["crop"],)]
    for k in ("flip", "jitter", "brightness", "contrast", "saturation", "blur", "blur_sigma", "noise",
              "noise_sigma", "jpeg", "jpeg_quality"):
        if k in p:
            v = p[k]
            out.append("%s=%s" % (k, ("%.17g" % v) if isinstance(v, float) else int(v)))
    return " ".join(out)


if __name__ == "__main__":
    base = ref.seed_from_path("videos/real/000.mp4")
    print("# base seed of videos/real/000.mp4 =", base)
    for idx, w, h in ((0, 1920, 1080), (1, 1920, 1080), (2, 1920, 1080), (4, 1920, 1080), (2, 1080, 1920),
                      (5, 320, 240), (0, 240, 320),
                      (-1, 1920, 1080), (-1, 321, 240)):
        print("# idx=%d %dx%d:" % (idx, w, h), fmt(draw(base, idx, w, h)))
    # A clip whose draws turn every op on (search over small indices, first hit).
    for idx in range(200):
        p = draw(base, idx, 640, 480)
        if p["flip"] and p["jitter"] and p["blur"] and p["noise"] and p["jpeg"]:
            print("# first idx with every op on (640x480): idx=%d" % idx, fmt(p))
            break
    # Seed wrap-around: base 2^32 - 1, idx 2 -> seed 1.
    print("# idx=2 base=4294967295 640x480:", fmt(draw(4294967295, 2, 640, 480)))
