#!/usr/bin/env python3
"""PyTorch twin of bench/cpu_bench.cpp: the same networks, steps and output.

    torch_cpu.py [--threads 2] [--models cnn,mlp,alexnet] [--iters N] [--warmup N]

Prints one JSON object per model, with the same fields as cpu_bench.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = nn.Linear(3136, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


class AlexNet(nn.Module):
    """torchvision's AlexNet (5 conv, 3 FC, no LRN) for 224x224 inputs, where
    the adaptive average pool to 6x6 is the identity and is left out."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(9216, 4096), nn.ReLU(),
            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, 1000))

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def run(name, what, batch, warmup, iters, step):
    for _ in range(warmup):
        step()
    ms = []
    for _ in range(iters):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1000.0)
    med = statistics.median(ms)
    print(json.dumps({"framework": "torch", "model": name, "what": what,
                      "impl": "torch " + torch.__version__, "batch": batch, "warmup": warmup,
                      "iters": iters, "median_ms": med, "images_per_s": 1000.0 * batch / med,
                      "threads": torch.get_num_threads(), "ms": ms}), flush=True)


def bench_training(name, model, x_shape, warmup, iters):
    x = torch.randn(x_shape)
    y = torch.randint(0, 10, (x_shape[0],))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    run(name, "train step (forward, backward, SGD momentum)", x_shape[0], warmup, iters, step)


def bench_alexnet(batch, warmup, iters):
    model = AlexNet()
    x = torch.randn(batch, 3, 224, 224)
    y = torch.randint(0, 1000, (batch,))

    def step():
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()

    run("alexnet", "forward + backward", batch, warmup, iters, step)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--models", default="cnn,mlp,alexnet")
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch-cnn", type=int, default=64)
    p.add_argument("--batch-alexnet", type=int, default=8)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    for model in a.models.split(","):
        if model == "cnn":
            bench_training("cnn", Cnn(), (a.batch_cnn, 1, 28, 28), a.warmup, a.iters)
        elif model == "mlp":
            bench_training("mlp", Mlp(), (a.batch_cnn, 1, 28, 28), a.warmup, a.iters)
        elif model == "alexnet":
            bench_alexnet(a.batch_alexnet, a.warmup, a.iters)
        else:
            raise SystemExit(f"torch_cpu.py: unknown model {model!r} (cnn, mlp, alexnet)")


if __name__ == "__main__":
    main()
