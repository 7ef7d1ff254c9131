#!/usr/bin/env python3
"""Writes the seed corpora of gpunn's fuzz targets: fuzz/corpus/<target>/.

    python3 fuzz/make_corpus.py [fuzz/corpus]

Each target gets small valid files of its format and edge cases built from them
(truncated, one byte too long, wrong magic, lying headers, ...), so that the
fuzzer starts from inputs that reach deep into the reader. The output is
deterministic (fixed values, gzip with mtime 0): rerunning it rewrites the same
files. The formats are described in docs/data.md and gpunn/io/safetensors.h.
"""
import gzip
import json
import os
import shutil
import struct
import sys


def idx(code, dims, values):
    fmt = {0x08: "B", 0x09: "b", 0x0B: "h", 0x0C: "i", 0x0D: "f", 0x0E: "d"}[code]
    head = bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return head + b"".join(struct.pack(">" + fmt, v) for v in values)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def idx_seeds():
    images = idx(0x08, [2, 4, 4], [(i * 37) % 256 for i in range(32)])
    seeds = {
        "images_u8": images,
        "labels_u8": idx(0x08, [5], [0, 9, 3, 3, 7]),
        "int8": idx(0x09, [2, 3], [-128, -1, 0, 1, 2, 127]),
        "int16": idx(0x0B, [4], [-32768, -1, 1, 32767]),
        "int32": idx(0x0C, [2, 2], [-(2**31), -1, 1, 2**31 - 1]),
        "float32": idx(0x0D, [3], [0.5, -2.0, float("inf")]),
        "float64": idx(0x0E, [1, 2], [1e300, float("nan")]),
        "rank8": idx(0x08, [1] * 8, [42]),
        "zero_dim": idx(0x08, [0, 28, 28], []),
        "header_only": images[:16],
        "truncated_data": images[:-3],
        "one_byte_long": images + b"\0",
        "short_magic": images[:3],
        "bad_magic": b"\x01" + images[1:],
        "unknown_type": bytes([0, 0, 0x0A]) + images[3:],
        "rank0": bytes([0, 0, 8, 0]),
        "rank9": bytes([0, 0, 8, 9]) + b"\0\0\0\1" * 9 + b"x",
        "huge_dims": bytes([0, 0, 0x0E, 2]) + struct.pack(">II", 2**32 - 1, 2**32 - 1),
    }
    return seeds


def idx_gz_seeds():
    plain = idx_seeds()
    seeds = {name: gz(data) for name, data in plain.items()
             if name in ("images_u8", "labels_u8", "float64", "truncated_data", "huge_dims")}
    whole = gz(plain["images_u8"])
    seeds["truncated_stream"] = whole[: len(whole) // 2]
    seeds["no_trailer"] = whole[:-8]
    seeds["bad_crc"] = whole[:-8] + bytes(8)
    seeds["two_members"] = gz(plain["images_u8"][:10]) + gz(plain["images_u8"][10:])
    seeds["trailing_garbage"] = whole + b"garbage"
    seeds["zeros_bomb"] = gz(idx(0x08, [64, 64], [0] * 4096))
    seeds["not_gzip"] = plain["images_u8"]
    return seeds


def cifar_record(label, seed):
    return bytes([label]) + bytes((seed * 7 + i * 13) % 256 for i in range(3072))


def cifar10_seeds():
    one = cifar_record(3, 1)
    two = one + cifar_record(9, 2)
    return {
        "one_record": one,
        "two_records": two,
        "truncated": two[:-1],
        "one_byte_long": one + b"\0",
        "label_10": cifar_record(10, 3),
        "label_255": cifar_record(255, 4),
        "gzip": gz(two),
        "gzip_truncated": gz(two)[:-20],
        "empty": b"",
        "one_byte": b"\x05",
    }


def safetensors(entries, data, metadata=None, header=None):
    """entries: name -> (dtype, shape, begin, end)."""
    if header is None:
        obj = {}
        if metadata is not None:
            obj["__metadata__"] = metadata
        for name, (dtype, shape, begin, end) in entries.items():
            obj[name] = {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}
        header = json.dumps(obj, separators=(",", ":")).encode()
    header += b" " * (-(8 + len(header)) % 8)
    return struct.pack("<Q", len(header)) + header + data


def safetensors_seeds():
    f32 = struct.pack("<6f", 1, -2, 3.5, 0, float("inf"), -0.0)
    i64 = struct.pack("<2q", -(2**63), 2**63 - 1)
    valid = safetensors({"w": ("F32", [2, 3], 0, 24), "n": ("I64", [2], 24, 40)}, f32 + i64,
                        {"format": "pt"})
    all_types = {}
    data = b""
    for name, dtype, raw, shape in [
        ("f64", "F64", struct.pack("<d", 2.5), [1]),
        ("u64", "U64", struct.pack("<Q", 7), [1]),
        ("f16", "F16", struct.pack("<3H", 0x3C00, 0x0001, 0x7C00), [3]),
        ("bf16", "BF16", struct.pack("<H", 0x3F80), [1]),
        ("i32", "I32", struct.pack("<i", -5), [1, 1]),
        ("u32", "U32", struct.pack("<I", 2**32 - 1), []),
        ("i16", "I16", struct.pack("<h", -3), [1]),
        ("u16", "U16", struct.pack("<H", 65535), [1]),
        ("i8", "I8", struct.pack("<b", -1), [1]),
        ("u8", "U8", b"\xff", [1]),
        ("bool", "BOOL", b"\x01\x00", [2]),
        ("empty", "F32", b"", [0, 4]),
    ]:
        all_types[name] = (dtype, shape, len(data), len(data) + len(raw))
        data += raw
    return {
        "valid": valid,
        "all_dtypes": safetensors(all_types, data),
        "empty": safetensors({}, b"", header=b"{}"),
        "metadata_only": safetensors({}, b"", {"a": "b"}),
        "truncated": valid[:-5],
        "trailing": valid + b"\0" * 4,
        "header_too_long": struct.pack("<Q", 10**9) + valid[8:],
        "header_past_end": struct.pack("<Q", len(valid)) + valid[8:],
        "short": valid[:7],
        "overlap": safetensors({"a": ("F32", [2], 0, 8), "b": ("F32", [2], 4, 12)}, bytes(12)),
        "gap": safetensors({"a": ("F32", [1], 4, 8)}, bytes(8)),
        "wrong_size": safetensors({"a": ("F32", [3], 0, 8)}, bytes(8)),
        "huge_shape": safetensors({"a": ("F32", [2**32, 2**32], 0, 4)}, bytes(4)),
        "negative": safetensors({"a": ("F32", [-1], 0, 4)}, bytes(4)),
        "f8": safetensors({"a": ("F8_E4M3", [1], 0, 1)}, bytes(1)),
        "bool_2": safetensors({"a": ("BOOL", [1], 0, 1)}, b"\x02"),
        "u64_big": safetensors({"a": ("U64", [1], 0, 8)}, b"\xff" * 8),
        "deep_json": safetensors({}, b"", header=b"[" * 40 + b"]" * 40),
        "duplicate_key": safetensors({}, bytes(8), header=(
            b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
            b'"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}')),
        "bad_utf8": safetensors({}, b"", header=b'{"\xff":1}'),
        "escapes": safetensors({}, b"", header=b'{"__metadata__":{"k\\u00e9\\n":"\\ud83d\\ude00"}}'),
    }


def checkpoint(tensors, data, meta):
    return safetensors(tensors, data, meta)


def checkpoint_seeds():
    meta = {"gpunn.checkpoint": "1", "gpunn.epoch": "2", "gpunn.step": "300",
            "gpunn.rng.seed": "42", "gpunn.rng.offset": "18446744073709551615", "run": "a"}
    tensors = {"model.fc.weight": ("F32", [2, 2], 0, 16), "model.fc.bias": ("F32", [2], 16, 24),
               "optimizer.state.0.momentum": ("F32", [2], 24, 32),
               "scheduler.step": ("I64", [], 32, 40)}
    data = struct.pack("<8f", *range(8)) + struct.pack("<q", 300)
    valid = checkpoint(tensors, data, meta)

    def with_meta(**changes):
        m = dict(meta)
        for k, v in changes.items():
            key = "gpunn." + k.replace("_", ".")
            if v is None:
                m.pop(key)
            else:
                m[key] = v
        return checkpoint(tensors, data, m)

    return {
        "valid": valid,
        "empty_sections": checkpoint({}, b"", meta),
        "truncated": valid[:-3],
        "no_version": with_meta(checkpoint=None),
        "version_2": with_meta(checkpoint="2"),
        "negative_step": with_meta(step="-1"),
        "step_not_int": with_meta(step="1e3"),
        "step_overflow": with_meta(step="99999999999999999999"),
        "seed_empty": with_meta(rng_seed=""),
        "no_section": checkpoint({"weights": ("F32", [1], 0, 4)}, bytes(4), meta),
        "no_metadata": checkpoint(tensors, data, None),
    }


TARGETS = {
    "idx": idx_seeds,
    "idx_gz": idx_gz_seeds,
    "cifar10": cifar10_seeds,
    "safetensors": safetensors_seeds,
    "checkpoint": checkpoint_seeds,
}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    for target, make in TARGETS.items():
        folder = os.path.join(root, target)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        seeds = make()
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        print(f"{target}: {len(seeds)} files, {sum(map(len, seeds.values()))} bytes")


if __name__ == "__main__":
    main()
