#!/usr/bin/env bash
# gpunn against PyTorch on the CPU, side by side in one run: the CPU twin of
# bench/run_gpu.sh (the same compare.py: `gpunn time` and torch_time.py on
# AlexNet, the spiral MLP, LeNet-5 and the Fashion-MNIST CNN, interleaved, and
# kernel_bench against oneDNN), with sizes that end in minutes on a small
# machine. Writes bench/results/cpu-time-<date>/ (results.md, summary.json,
# alexnet_layers.png, runs.json, kernels.json).
#
#   bench/run_compare_cpu.sh [--threads N] [--alexnet-batch N] [--iters N] [--warmup N]
#
# Both frameworks run with the same thread count (default 1: on a shared,
# loaded machine a second OpenMP thread mostly waits; docs/cpu.md, Threads).
# Environment: GPUNN_BUILD_DIR (default build), PYTHON (default /usr/bin/python3,
# Debian's, which has python3-torch).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=1 alexnet_batch=8 iters=5 warmup=2
while (($#)); do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --alexnet-batch) alexnet_batch="$2"; shift 2 ;;
    --iters) iters="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    *) echo "usage: bench/run_compare_cpu.sh [--threads N] [--alexnet-batch N] [--iters N]" \
            "[--warmup N]" >&2; exit 2 ;;
  esac
done
build="${GPUNN_BUILD_DIR:-build}"
python="${PYTHON:-/usr/bin/python3}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGPUNN_BUILD_BENCH=ON \
  -DGPUNN_BUILD_CLI=ON >/dev/null
cmake --build "$build" --target gpunn_cli kernel_bench layer_chart >/dev/null
out="bench/results/cpu-time-$(date +%Y-%m-%d)"
"$python" bench/compare.py --device cpu --build "$build" --out "$out" --python "$python" \
  --threads "$threads" --alexnet-batch "$alexnet_batch" --iters "$iters" --warmup "$warmup" \
  --kernel-args "--max-size 1024 --conv-batch 4 --iters 5 --warmup 1" --timeout 900 \
  --command "bench/run_compare_cpu.sh --threads $threads --alexnet-batch $alexnet_batch --iters $iters --warmup $warmup"
rm -f "$out/log.txt"
echo "results in $out/"
