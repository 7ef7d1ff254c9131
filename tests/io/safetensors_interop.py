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
import subprocess, sys
import numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open

tool, workdir = sys.argv[1], sys.argv[2]
failures = []

def expect(cond, what):
    if not cond:
        failures.append(what)

# 1. gpunn writes, Python reads.
path = f"{workdir}/from_gpunn.safetensors"
subprocess.run([tool, "write", path], check=True)
got = load_file(path)
w = (np.arange(12, dtype=np.float64) - 5.5) / 8.0
want = {
    "fc.weight": w.astype(np.float32).reshape(3, 4),
    "fc.bias": np.array([0.1, -0.2, 0.3], dtype=np.float64),
    "counts": np.array([-9007199254740993, 0, 42], dtype=np.int64),
    "scalar": np.array(2.5, dtype=np.float64),
    "empty": np.zeros((2, 0), dtype=np.float32),
    "transposed": w.reshape(3, 4).T.copy(),
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
out = subprocess.run([tool, "dump", path], check=True, capture_output=True, text=True).stdout
seen, meta = {}, {}
for line in out.splitlines():
    parts = line.split("\t")
    if parts[0] == "meta":
        meta[parts[1]] = parts[2]
        continue
    name, dtype, shape, values = parts
    shape = tuple(int(s) for s in shape.split(",")) if shape else ()
    conv = float if dtype.startswith("float") else int
    seen[name] = (dtype, shape, [conv(v) for v in values.split()] if values else [])
expect(meta == {"written_by": "python", "k": "v \"q\" \u00e9"}, f"metadata {meta}")
widen = {"float32": "float32", "float64": "float64", "int64": "int64", "float16": "float32",
         "int32": "int64", "uint8": "int64", "bool": "int64"}
for name, a in sent.items():
    if name not in seen:
        failures.append(f"gpunn did not load {name}")
        continue
    dtype, shape, values = seen[name]
    expect(dtype == widen[str(a.dtype)], f"{name}: gpunn dtype {dtype} for numpy {a.dtype}")
    expect(shape == a.shape, f"{name}: gpunn shape {shape}, python {a.shape}")
    # gpunn prints float32 with 9 significant digits, which round-trips through float32.
    as_type = {"float32": np.float32, "float64": np.float64, "int64": np.int64}[dtype]
    mine = np.array(values, dtype=np.float64 if dtype.startswith("float") else np.int64)
    ref = a.astype(as_type).ravel()
    expect(mine.astype(as_type).tobytes() == ref.tobytes(),
           f"{name}: gpunn values {values[:6]}..., python {ref[:6].tolist()}...")

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"safetensors interop OK: {len(want)} tensors gpunn -> Python, "
      f"{len(sent)} tensors Python -> gpunn")
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
