#!/usr/bin/env python3
"""Checks that safetensors files cross between gpunn and the Python `safetensors`
package in both directions, with identical values.

  safetensors_interop.py TOOL WORKDIR

TOOL is the safetensors_tool program (tests/io/safetensors_tool.cpp). A virtual
environment WORKDIR/venv gets `safetensors` and `numpy` from PyPI once and is
reused by later runs. Exits 77 (CTest's skip code) with a message when Python's
venv module or PyPI is unavailable.
"""
import os
import subprocess
import sys

SKIP = 77


def skip(why):
    print(f"SKIP: safetensors Python interop: {why}")
    sys.exit(SKIP)


def ensure_venv(workdir):
    """Returns the venv's python, creating the venv and installing packages if needed."""
    venv = os.path.join(workdir, "venv")
    python = os.path.join(venv, "bin", "python")
    check = [python, "-c", "import safetensors, numpy"]
    if os.path.exists(python) and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    try:
        import venv as _  # noqa: F401
    except ImportError:
        skip("python3 has no venv module (install python3-venv)")
    r = subprocess.run([sys.executable, "-m", "venv", "--clear", venv], capture_output=True,
                       text=True)
    if r.returncode != 0:
        skip(f"cannot create a virtual environment (install python3-venv): {r.stderr.strip()}")
    r = subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "--timeout", "30", "safetensors", "numpy"],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        skip("pip could not install safetensors and numpy (no network or PyPI unreachable): "
             + r.stderr.strip()[-500:])
    return python


# Runs inside the venv: the actual comparisons.
CHECK = r'''
import json, struct, subprocess, sys
import numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open

tool, workdir = sys.argv[1], sys.argv[2]
failures = []

def expect(cond, what):
    if not cond:
        failures.append(what)

def bf16_bits(x):
    """float64 -> bfloat16 bits as torch rounds them: to float32, then to nearest even."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7fff + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return np.where(np.isnan(np.asarray(x, dtype=np.float32)), (u >> 16) | 0x40, r).astype(np.uint16)

def raw_tensors(path):
    """name -> (dtype, shape, bytes), read with json and struct only (numpy has no bf16)."""
    with open(path, "rb") as fh:
        blob = fh.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    return {k: (v["dtype"], tuple(v["shape"]),
                blob[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]])
            for k, v in header.items()}

# 1. gpunn writes, Python reads.
path = f"{workdir}/from_gpunn.safetensors"
subprocess.run([tool, "write", path], check=True)
h = [0.1, -1.0 / 3.0, 2.0 ** -20, 65504.0, 70000.0, -0.0]
raw = raw_tensors(path)
expect(raw["bf16"][:2] == ("BF16", (2, 3)), f"bf16 entry {raw['bf16'][:2]}")
expect(raw["bf16"][2] == bf16_bits(h).tobytes(),
       f"bf16 bytes {raw['bf16'][2].hex()} != {bf16_bits(h).tobytes().hex()}")
expect(raw["f16"][:2] == ("F16", (2, 3)), f"f16 entry {raw['f16'][:2]}")
with np.errstate(over="ignore"):
    f16_want = np.array(h, dtype=np.float16)  # numpy rounds float64 -> float16 once, to nearest even
expect(raw["f16"][2] == f16_want.tobytes(), f"f16 bytes {raw['f16'][2].hex()} != {f16_want.tobytes().hex()}")
# numpy has no bf16, so the package reads every other tensor by name.
with safe_open(path, framework="np") as f:
    got = {k: f.get_tensor(k) for k in f.keys() if k != "bf16"}
w = (np.arange(12, dtype=np.float64) - 5.5) / 8.0
want = {
    "fc.weight": w.astype(np.float32).reshape(3, 4),
    "fc.bias": np.array([0.1, -0.2, 0.3], dtype=np.float64),
    "counts": np.array([-9007199254740993, 0, 42], dtype=np.int64),
    "scalar": np.array(2.5, dtype=np.float64),
    "empty": np.zeros((2, 0), dtype=np.float32),
    "transposed": w.reshape(3, 4).T.copy(),
    "f16": f16_want.reshape(2, 3),
}
expect(sorted(got) == sorted(want), f"names {sorted(got)} != {sorted(want)}")
for name, a in want.items():
    b = got.get(name)
    expect(b is not None and b.dtype == a.dtype and b.shape == a.shape
           and a.tobytes() == b.tobytes(), f"{name}: python read {b!r}, expected {a!r}")
with safe_open(path, framework="np") as f:
    meta = f.metadata()
expect(meta == {"written_by": "gpunn", "note": "caf\u00e9 \u2713"}, f"metadata {meta}")

# 2. Python writes, gpunn reads.
rng = np.random.default_rng(1234)
sent = {
    "conv.weight": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
    "head.weight": rng.standard_normal((5, 7)),
    "head.bias": np.array(-1.0 / 3.0),
    "labels": rng.integers(-2**62, 2**62, size=(6,), dtype=np.int64),
    "half": rng.standard_normal(8).astype(np.float16),
    "int32": rng.integers(-2**31, 2**31, size=(2, 3), dtype=np.int32),
    "bytes": rng.integers(0, 256, size=(5,), dtype=np.uint8),
    "mask": np.array([True, False, False, True]),
    "nothing": np.zeros((0,), dtype=np.float64),
}
path = f"{workdir}/from_python.safetensors"
save_file(sent, path, metadata={"written_by": "python", "k": "v \"q\" \u00e9"})
# A bf16 tensor as torch saves one (numpy has no bf16: the file gets a raw BF16 entry).
bf16_values = rng.standard_normal(6) * 1e3
bf16_values[:3] = [np.nan, -np.inf, 1e-40]  # NaN, -inf, a float32 subnormal
with open(path, "rb") as fh:
    blob = fh.read()
(n,) = struct.unpack("<Q", blob[:8])
header = json.loads(blob[8:8 + n])
end = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
header["bf16"] = {"dtype": "BF16", "shape": [3, 2], "data_offsets": [end, end + 12]}
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open(path, "wb") as fh:
    fh.write(struct.pack("<Q", len(text)) + text + blob[8 + n:] + bf16_bits(bf16_values).tobytes())
out = subprocess.run([tool, "dump", path], check=True, capture_output=True, text=True).stdout
seen, meta = {}, {}
for line in out.splitlines():
    parts = line.split("\t")
    if parts[0] == "meta":
        meta[parts[1]] = parts[2]
        continue
    name, dtype, shape, values = parts
    shape = tuple(int(s) for s in shape.split(",")) if shape else ()
    conv = int if dtype == "int64" else float
    seen[name] = (dtype, shape, [conv(v) for v in values.split()] if values else [])
expect(meta == {"written_by": "python", "k": "v \"q\" \u00e9"}, f"metadata {meta}")
bf16_seen = seen.pop("bf16", None)
bf16_want = (bf16_bits(bf16_values).astype(np.uint32) << 16).view(np.float32)
expect(bf16_seen is not None and bf16_seen[:2] == ("bfloat16", (3, 2))
       and np.array(bf16_seen[2], dtype=np.float32).tobytes() == bf16_want.tobytes(),
       f"bf16: gpunn read {bf16_seen}, python wrote {bf16_want.tolist()}")
widen = {"float32": "float32", "float64": "float64", "int64": "int64", "float16": "float16",
         "int32": "int64", "uint8": "int64", "bool": "int64"}
for name, a in sent.items():
    if name not in seen:
        failures.append(f"gpunn did not load {name}")
        continue
    dtype, shape, values = seen[name]
    expect(dtype == widen[str(a.dtype)], f"{name}: gpunn dtype {dtype} for numpy {a.dtype}")
    expect(shape == a.shape, f"{name}: gpunn shape {shape}, python {a.shape}")
    # gpunn prints float32 with 9 significant digits, which round-trips through float32.
    as_type = {"float32": np.float32, "float64": np.float64, "int64": np.int64,
               "float16": np.float16}[dtype]
    mine = np.array(values, dtype=np.float64 if dtype.startswith("float") else np.int64)
    ref = a.astype(as_type).ravel()
    expect(mine.astype(as_type).tobytes() == ref.tobytes(),
           f"{name}: gpunn values {values[:6]}..., python {ref[:6].tolist()}...")

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"safetensors interop OK: {len(want) + 1} tensors gpunn -> Python, "
      f"{len(sent) + 1} tensors Python -> gpunn (bf16 and f16 included)")
'''


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    tool, workdir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(workdir, exist_ok=True)
    python = ensure_venv(workdir)
    return subprocess.run([python, "-c", CHECK, tool, workdir]).returncode


if __name__ == "__main__":
    sys.exit(main())
