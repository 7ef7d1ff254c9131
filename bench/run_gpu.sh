#!/usr/bin/env bash
# gpunn against PyTorch on the GPU, in one call that fits ~8 minutes on an
# H100: builds gpunn with CUDA (the `gpunn` tool, kernel_bench, layer_chart),
# then bench/compare.py runs `gpunn time` (vendor and custom, FP32 and TF32) and
# bench/reference/torch_time.py on AlexNet (batch 128), the spiral MLP, LeNet-5
# and the Fashion-MNIST CNN, interleaved, and kernel_bench (SGEMM 256..8192,
# AlexNet's FC and convolution shapes against cuBLAS/cuDNN, softmax, pooling
# and element-wise against the copy bandwidth). Writes at most 8 files to OUT:
# build.log, log.txt, summary.json, results.md, alexnet_layers.png, runs.json,
# kernels.json.
#
#   bench/prepare_devdeps.sh            (once, here: CLI11 and stb for the GPU machine)
#   bench/run_gpu.sh OUT_DIR            (on the GPU machine, carrying .devdeps; OUT_DIR=$OUT)
# With tools/gpu_prebuild.sh run here first and build-gpu-stage carried too, it
# uses those binaries instead of building (about 5 of the 8 minutes).
# Environment: GPUNN_BENCH_BUILD_DIR (default build-bench-gpu), GPUNN_BENCH_JOBS
# (build jobs, default all cores), PYTHON (one with PyTorch; default python3).
#
# Without a GPU it runs the same on the CPU (that is how it is tested).
set -uo pipefail
out="${1:?usage: bench/run_gpu.sh OUT_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$(dirname "$0")/.."
build="${GPUNN_BENCH_BUILD_DIR:-build-bench-gpu}"
start=$(date +%s)
device=cpu
nvidia-smi -L >/dev/null 2>&1 && device=cuda
{
  echo "== $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvidia-smi 2>&1 | head -15 || true
  nvcc --version 2>&1 | tail -1 || true
  "${PYTHON:-python3}" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version())" 2>&1 | tail -1
} >"$out/build.log" 2>&1

args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DGPUNN_BUILD_TESTS=OFF -DGPUNN_BUILD_EXAMPLES=ON
      -DGPUNN_BUILD_BENCH=ON -DGPUNN_BUILD_CLI=ON)
if [[ $device == cuda ]]; then
  args+=(-DGPUNN_WITH_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DGPUNN_WITH_ONEDNN=OFF)
  toolkit_inc="$(dirname "$(dirname "$(command -v nvcc)")")/include"
  if [[ ! -f "$toolkit_inc/cudnn.h" ]]; then
    cudnn_root=$(python3 -c "import nvidia.cudnn as m; print(m.__path__[0])" 2>/dev/null || true)
    [[ -n "$cudnn_root" ]] && args+=(-DGPUNN_CUDNN_ROOT="$cudnn_root")
  fi
else
  args+=(-DGPUNN_WITH_CUDA=OFF)
fi
[[ -d .devdeps/cli11 ]] && args+=(-DCMAKE_PREFIX_PATH="$PWD/.devdeps/cli11")
[[ -d .devdeps/stb ]] && args+=(-DGPUNN_STB_INCLUDE_DIR="$PWD/.devdeps/stb")
# A build staged on a CPU machine (tools/gpu_prebuild.sh; carry build-gpu-stage)
# saves the minutes of compiling here. Its binaries look for libgpunn in the
# folder they were built in, build-gpu/ of the same checkout path.
staged=0
if [[ $device == cuda && -f build-gpu-stage/prebuilt.txt ]]; then
  [[ -e build-gpu ]] || ln -s build-gpu-stage build-gpu
  if [[ "$(sed -n 's/^source_dir=//p' build-gpu-stage/prebuilt.txt)" == "$PWD" ]] &&
    build-gpu/tools/cli/gpunn device >>"$out/build.log" 2>&1 &&
    [[ -x build-gpu/bench/kernels/kernel_bench && -x build-gpu/bench/layer_chart ]]; then
    build=build-gpu
    staged=1
    echo "staged build: $(tr '\n' ' ' <build-gpu-stage/prebuilt.txt)" | tee -a "$out/build.log"
  fi
fi
if ((!staged)); then
  timeout 120 cmake -S . -B "$build" "${args[@]}" >>"$out/build.log" 2>&1 || {
    echo "configure failed (see build.log)"; tail -20 "$out/build.log"; exit 1; }
  timeout 330 cmake --build "$build" -j "${GPUNN_BENCH_JOBS:-$(nproc)}" --target gpunn_cli kernel_bench layer_chart \
    >>"$out/build.log" 2>&1 || {
    echo "build failed (see build.log)"; grep -E "error|FAILED" "$out/build.log" | head -20; exit 1; }
  echo "built in $(($(date +%s) - start)) s" | tee -a "$out/build.log"
fi

if [[ $device == cuda ]]; then
  settings=(--alexnet-batch 128 --iters 10 --warmup 3 --timeout 150)
else  # the CPU (tests of this script): small settings
  settings=(--alexnet-batch 4 --small-batch 16 --iters 3 --warmup 1 --threads 1 --timeout 300
            --kernel-args "--max-size 256 --conv-batch 1 --fc-batch 8")
fi
python3 bench/compare.py --device "$device" --build "$build" --out "$out" "${settings[@]}" \
  --python "${PYTHON:-python3}" \
  --command "bench/run_gpu.sh OUT ($device)"
rc=$?
echo "total $(($(date +%s) - start)) s, compare.py exit $rc" | tee -a "$out/build.log"
exit $rc
