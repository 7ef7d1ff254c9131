#!/usr/bin/env python3
"""PyTorch twin of `gpunn time` (tools/cli/gpunn.cpp): the same models, the same
layer-by-layer forward and backward timing, the same whole training iteration
(forward, cross-entropy, backward, SGD step with momentum 0.9), the same JSON
fields.

    torch_time.py MODEL [--batch N] [--device auto|cpu|cuda] [--precision fp32|tf32|bf16|fp16]
                  [--iters N] [--warmup N] [--threads N] [--json FILE]

MODEL: alexnet, mlp (spiral 2-100-3), lenet, cnn (Fashion-MNIST CNN). TF32 is
set explicitly from --precision for both cuBLAS matmuls and cuDNN convolutions
(torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) and
printed. cudnn.benchmark is on (like gpunn's measured algorithm choice). On the
GPU, intervals are CUDA events on the current stream; on the CPU, perf_counter.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def alexnet():
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(9216, 4096), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000))


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def fashion_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def spiral_mlp():
    return nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3))


# name: (constructor, description, input shape without batch, classes, default batch)
MODELS = {
    "alexnet": (alexnet, "AlexNet, 224x224 RGB, 1000 classes", (3, 224, 224), 1000, 128),
    "mlp": (spiral_mlp, "spiral MLP 2-100-3", (2,), 3, 300),
    "lenet": (lenet, "LeNet-5, 28x28 gray, 10 classes", (1, 28, 28), 10, 64),
    "cnn": (fashion_cnn, "Fashion-MNIST CNN, 28x28 gray, 10 classes", (1, 28, 28), 10, 64),
}


class Timer:
    """One interval of the work queued on the device."""

    def __init__(self, device):
        self.cuda = device.type == "cuda"
        if self.cuda:
            self.a = torch.cuda.Event(enable_timing=True)
            self.b = torch.cuda.Event(enable_timing=True)

    def start(self):
        if self.cuda:
            self.a.record()
        else:
            self.t0 = time.perf_counter()

    def stop_ms(self):
        if self.cuda:
            self.b.record()
            self.b.synchronize()
            return self.a.elapsed_time(self.b)
        return (time.perf_counter() - self.t0) * 1000.0


def count_flops(layer, x_shape, y_shape, input_grad):
    """The same counting rules as gpunn time (tools/cli/gpunn.cpp, count_flops)."""
    n_out = 1
    for d in y_shape:
        n_out *= d
    n_in = 1
    for d in x_shape:
        n_in *= d
    if isinstance(layer, nn.Conv2d):
        kh, kw = layer.kernel_size
        macs = n_out * (layer.in_channels // layer.groups) * kh * kw
        bias = n_out if layer.bias is not None else 0
        return 2 * macs + bias, 2 * macs * (2 if input_grad else 1) + bias
    if isinstance(layer, nn.Linear):
        macs = n_out * layer.in_features
        bias = n_out if layer.bias is not None else 0
        return 2 * macs + bias, 2 * macs * (2 if input_grad else 1) + bias
    if isinstance(layer, nn.MaxPool2d):
        k = layer.kernel_size if isinstance(layer.kernel_size, int) else layer.kernel_size[0]
        return n_out * k * k, (n_out if input_grad else 0)
    if isinstance(layer, nn.Flatten):
        return 0, 0
    return n_out, (n_in if input_grad else 0)


def median(v):
    return statistics.median(v) if v else None


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", choices=sorted(MODELS))
    p.add_argument("--batch", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--precision", choices=["fp32", "tf32", "bf16", "fp16"], default="fp32")
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    p.add_argument("--json", default="")
    a = p.parse_args()
    if a.iters < 1 or a.warmup < 0 or a.batch < 0:
        p.error("--iters must be at least 1, --warmup and --batch at least 0")

    if a.device == "auto":
        a.device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(a.device)
    if a.threads:
        torch.set_num_threads(a.threads)
    tf32 = a.precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True
    print(f"torch {torch.__version__}: cuda.matmul.allow_tf32={torch.backends.cuda.matmul.allow_tf32}"
          f" cudnn.allow_tf32={torch.backends.cudnn.allow_tf32}"
          f" cudnn.benchmark={torch.backends.cudnn.benchmark}"
          f" threads={torch.get_num_threads()}", file=sys.stderr)

    # bf16 / fp16: torch.autocast around every forward (and the loss), and for fp16 a
    # GradScaler, as gpunn time --precision does (tools/common/precision.h).
    amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(a.precision)

    def autocast():
        return torch.autocast(device_type=device.type, dtype=amp_dtype, enabled=amp_dtype is not None)

    torch.manual_seed(0)
    make, description, in_shape, classes, default_batch = MODELS[a.model]
    batch = a.batch or default_batch
    net = make().to(device).train()
    x = torch.randn((batch,) + in_shape, device=device)
    y = torch.randint(0, classes, (batch,), device=device)
    timer = Timer(device)

    # Layer by layer: forward on the real input, backward given a gradient of
    # the output's shape; the first layer's input is data (no gradient).
    layers = [{"index": i, "name": str(i), "type": type(m).__name__, "fwd": [], "bwd": []}
              for i, m in enumerate(net)]
    grads = [None] * len(layers)
    for it in range(a.warmup + a.iters):
        record = it >= a.warmup
        h = x
        for i, layer in enumerate(net):
            inp = h.detach()
            if i > 0:
                inp.requires_grad_(True)
            timer.start()
            with autocast():
                out = layer(inp)
            fwd = timer.stop_ms()
            r = layers[i]
            if it == 0:
                r["output_shape"] = list(out.shape)
                r["forward_flops"], r["backward_flops"] = count_flops(layer, inp.shape, out.shape,
                                                                      i > 0)
                r["has_backward"] = out.requires_grad
                grads[i] = torch.randn_like(out)
            if record:
                r["fwd"].append(fwd)
            if r["has_backward"]:
                timer.start()
                out.backward(grads[i])
                bwd = timer.stop_ms()
                if record:
                    r["bwd"].append(bwd)
            layer.zero_grad(set_to_none=True)
            h = out.detach()
    del grads

    # Whole training iterations.
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    # torch.amp.GradScaler(device) is PyTorch >= 2.3; Debian's 1.13 has the CUDA one only
    # (which, disabled, passes every call through on the CPU too).
    if hasattr(torch.amp, "GradScaler"):
        scaler = torch.amp.GradScaler(device.type, enabled=a.precision == "fp16")
    else:
        scaler = torch.cuda.amp.GradScaler(enabled=a.precision == "fp16")
    opt.zero_grad(set_to_none=True)
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    steps = []
    for it in range(a.warmup + a.iters):
        timer.start()
        with autocast():
            loss = F.cross_entropy(net(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)
        ms = timer.stop_ms()
        if it >= a.warmup:
            steps.append(ms)
    peak = torch.cuda.max_memory_allocated() if device.type == "cuda" else None
    reserved = torch.cuda.max_memory_reserved() if device.type == "cuda" else None

    out_layers, fwd_total, bwd_total, flops_total = [], 0.0, 0.0, 0
    for r in layers:
        fm = median(r["fwd"])
        bm = median(r["bwd"]) if r["has_backward"] else None
        fwd_total += fm
        bwd_total += bm or 0.0
        flops_total += r["forward_flops"] + r["backward_flops"]
        out_layers.append({
            "index": r["index"], "name": r["name"], "type": r["type"],
            "output_shape": r["output_shape"], "forward_ms": fm, "backward_ms": bm,
            "forward_flops": r["forward_flops"], "backward_flops": r["backward_flops"],
            "forward_gflops": r["forward_flops"] / (fm * 1e6) if r["forward_flops"] else None,
            "backward_gflops": (r["backward_flops"] / (bm * 1e6)
                                if r["backward_flops"] and bm else None)})
    iter_ms = median(steps)
    name = (torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu")
    result = {
        "tool": "torch_time.py", "version": torch.__version__, "model": a.model,
        "description": description, "batch": batch, "device": str(device),
        "device_name": name, "precision": a.precision,
        "allow_tf32": {"cuda.matmul": torch.backends.cuda.matmul.allow_tf32,
                       "cudnn": torch.backends.cudnn.allow_tf32},
        "cudnn_version": torch.backends.cudnn.version() if device.type == "cuda" else None,
        "threads": torch.get_num_threads(),
        "timer": "cuda_events" if device.type == "cuda" else "perf_counter",
        "iters": a.iters, "warmup": a.warmup, "layers": out_layers,
        "forward_ms": fwd_total, "backward_ms": bwd_total, "iteration_ms": iter_ms,
        "iteration_ms_all": steps, "images_per_s": 1000.0 * batch / iter_ms,
        "iteration_flops": flops_total, "iteration_gflops": flops_total / (iter_ms * 1e6),
        "iteration_tflops": flops_total / (iter_ms * 1e9),
        "peak_bytes": peak, "peak_reserved_bytes": reserved}

    print(f"torch time {a.model}: {description}, batch {batch}, {device} ({name}), "
          f"precision {a.precision}")
    print(f"{'#':<4} {'layer':<10} {'output':<16} {'fwd ms':>11} {'bwd ms':>11}")
    for r in out_layers:
        shape = "x".join(map(str, r["output_shape"]))
        b = f"{r['backward_ms']:11.3f}" if r["backward_ms"] is not None else f"{'-':>11}"
        print(f"{r['index']:<4} {r['type'][:10]:<10} {shape:<16} {r['forward_ms']:11.3f} {b}")
    print(f"\nlayers: forward {fwd_total:.3f} ms, backward {bwd_total:.3f} ms")
    print(f"iteration: {iter_ms:.3f} ms, {result['images_per_s']:.1f} images/s, "
          f"{result['iteration_gflops']:.2f} GFLOP/s")
    if peak is not None:
        print(f"peak memory allocated: {peak / 2**20:.1f} MiB")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
