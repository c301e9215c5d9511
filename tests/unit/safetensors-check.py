#!/usr/bin/python3
# safetensors-check.py FILE — an independent safetensors reader (struct + json + numpy, following
# https://huggingface.co/docs/safetensors), run by test-safetensors.c on a file libfvc wrote.
# It checks the layout rules and prints one JSON line describing the file: metadata as
# [key, value] pairs in file order, and each tensor (in header order) with dtype, shape and its
# values as numpy decodes them. Exit 1 on a malformed file, 77 when numpy is missing.
import json
import struct
import sys

try:
    import numpy as np
except ImportError:
    print("numpy is not installed for %s" % sys.executable, file=sys.stderr)
    sys.exit(77)

DTYPES = {"U8": "<u1", "I8": "<i1", "I32": "<i4", "I64": "<i8", "F16": "<f2", "F32": "<f4", "F64": "<f8"}


def fail(msg):
    print("safetensors-check: " + msg, file=sys.stderr)
    sys.exit(1)


def decode(dtype, raw, shape):
    if dtype == "BF16":  # numpy has no bfloat16: widen the 16 bits into the top of a float32
        wide = np.frombuffer(raw, dtype="<u2").astype("<u4") << 16
        return wide.view("<f4").reshape(shape)
    return np.frombuffer(raw, dtype=DTYPES[dtype]).reshape(shape)


def main(path):
    blob = open(path, "rb").read()
    if len(blob) < 8:
        fail("shorter than the length prefix")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        fail("header length %d beyond the file" % n)
    if (8 + n) % 8 != 0:
        fail("data section not 8-byte aligned")
    text = blob[8:8 + n].decode("utf-8")
    if not text.startswith("{") or not text.rstrip(" ").endswith("}"):
        fail("header not a JSON object padded with spaces")
    pairs = json.loads(text, object_pairs_hook=lambda kv: kv)  # keep order and any repeats
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        fail("repeated key in the header")
    data = blob[8 + n:]
    metadata, tensors, spans = [], [], []
    for name, info in pairs:
        if name == "__metadata__":
            for k, v in info:
                if not isinstance(v, str):
                    fail("metadata %r is not a string" % k)
                metadata.append([k, v])
            continue
        info = dict(info)
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        itemsize = 2 if dtype == "BF16" else np.dtype(DTYPES[dtype]).itemsize
        if end - begin != int(np.prod(shape, dtype=np.int64)) * itemsize or end > len(data):
            fail("tensor %r: offsets do not match dtype and shape" % name)
        spans.append((begin, end))
        values = decode(dtype, data[begin:end], shape)
        tensors.append({"name": name, "dtype": dtype, "shape": shape, "values": values.tolist()})
    pos = 0
    for begin, end in sorted(spans):
        if begin != pos:
            fail("gap or overlap at byte %d" % begin)
        pos = end
    if pos != len(data):
        fail("%d bytes after the last tensor" % (len(data) - pos))
    print(json.dumps({"metadata": metadata, "tensors": tensors}, separators=(",", ":")))


if __name__ == "__main__":
    main(sys.argv[1])
