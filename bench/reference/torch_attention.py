#!/usr/bin/env python3
"""PyTorch twin of bench/attention_bench.cpp: torch.nn.functional.scaled_dot_product_attention
forward + backward at the same shapes, inputs and timing (median of --iters after --warmup,
the device synchronized around each iteration), and the peak memory above the inputs.

    torch_attention.py [--dtypes bf16,f16,f32] [--seq 1024,4096] [--batch 8] [--heads 12]
                       [--head-dim 64] [--causal] [--iters 10] [--warmup 3] [--json FILE]

impl "torch" is PyTorch's own choice of backend (flash attention for bf16/f16 on an H100;
the memory-efficient kernel or the math path otherwise), "torch-math" its composed path.
TF32 is off for float32 (torch.backends.cuda.matmul.allow_tf32 = False), as in gpunn.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dtypes", default="bf16,f16,f32")
    ap.add_argument("--seq", default="1024,4096")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--head-dim", type=int, default=64)
    ap.add_argument("--causal", action="store_true")
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    dtypes = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}
    rows = []
    for name in a.dtypes.split(","):
        dt = dtypes[name]
        for T in [int(t) for t in a.seq.split(",")]:
            g = torch.Generator(device=dev).manual_seed(1)
            shape = (a.batch, a.heads, T, a.head_dim)
            q, k, v, dout = (torch.rand(shape, device=dev, dtype=dt, generator=g) for _ in range(4))
            for t in (q, k, v):
                t.requires_grad_(True)
            for impl in ("torch", "torch-math"):
                def step():
                    for t in (q, k, v):
                        t.grad = None
                    if impl == "torch":
                        y = F.scaled_dot_product_attention(q, k, v, is_causal=a.causal)
                    else:
                        with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
                            y = F.scaled_dot_product_attention(q, k, v, is_causal=a.causal)
                    y.backward(dout)
                try:
                    for _ in range(a.warmup):
                        step()
                    torch.cuda.synchronize()
                    torch.cuda.empty_cache()
                    base = torch.cuda.memory_allocated()
                    torch.cuda.reset_peak_memory_stats()
                    ms = []
                    for _ in range(a.iters):
                        t0 = time.perf_counter()
                        step()
                        torch.cuda.synchronize()
                        ms.append((time.perf_counter() - t0) * 1e3)
                    peak = (torch.cuda.max_memory_allocated() - base) / 2**20
                except torch.OutOfMemoryError as e:
                    print(f"{name} T {T} {impl}: out of memory ({e})")
                    torch.cuda.empty_cache()
                    continue
                row = {"dtype": name, "T": T, "impl": impl, "ms": statistics.median(ms),
                       "peak_mb": peak}
                rows.append(row)
                print(f"{name:5} T {T:<5} {impl:10} {row['ms']:9.3f} ms fwd+bwd  peak {peak:9.1f} MiB",
                      flush=True)
    out = {"batch": a.batch, "heads": a.heads, "head_dim": a.head_dim, "causal": a.causal,
           "torch": torch.__version__, "card": torch.cuda.get_device_name(), "rows": rows}
    print(json.dumps(out))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    main()
