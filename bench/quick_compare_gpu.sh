#!/usr/bin/env bash
# A short gpunn-against-PyTorch comparison for the minutes left after
# tools/gpu_check.sh on a GPU machine (bench/run_gpu.sh is the full one):
# AlexNet at batch 128 with bf16 and fp16 autocast, in strict FP32 and in TF32 (the new
# precisions first, in case time runs out), and the spiral MLP step (all on `auto`),
# each timed by `gpunn time` and by bench/reference/torch_time.py one after the
# other on the same card, then AlexNet FP32/TF32 with --impl vendor and custom, and a
# profiled TF32 AlexNet step (gpunn time --profile: the
# per-op table). Everything is appended to LOG, the JSON lines included.
#
#   bench/quick_compare_gpu.sh BUILD_DIR LOG
set -uo pipefail
build="${1:?usage: bench/quick_compare_gpu.sh BUILD_DIR LOG}"
log="${2:?usage: bench/quick_compare_gpu.sh BUILD_DIR LOG}"
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
{
  echo "==== quick comparison with PyTorch ($(date -u +%FT%TZ))"
  python3 -c "import torch; print('torch', torch.__version__, 'cudnn', torch.backends.cudnn.version())" 2>&1 | tail -1
} >>"$log"
run() {  # NAME COMMAND...: the command's JSON file is $tmp/NAME.json
  local name=$1
  shift
  echo "---- $name: $*" >>"$log"
  timeout 60 "$@" --json "$tmp/$name.json" >>"$log" 2>&1
  echo "rc=$?" >>"$log"
  echo "json $name $(tr -d '\n' <"$tmp/$name.json" 2>/dev/null)" >>"$log"
}
for precision in bf16 fp16 fp32 tf32; do
  run "gpunn_alexnet_$precision" "$build/tools/cli/gpunn" time alexnet --device cuda --batch 128 \
    --precision "$precision" --iters 10 --warmup 3
  run "torch_alexnet_$precision" python3 bench/reference/torch_time.py alexnet --device cuda \
    --batch 128 --precision "$precision" --iters 10 --warmup 3
done
run gpunn_mlp "$build/tools/cli/gpunn" time mlp --device cuda --iters 50 --warmup 10
run torch_mlp python3 bench/reference/torch_time.py mlp --device cuda --iters 50 --warmup 10
# The issue-20 targets name each path: AlexNet in FP32 and TF32 on the vendor path only and
# on our kernels only (the runs above are `auto`, which measures both per layer).
for precision in fp32 tf32; do
  for impl in vendor custom; do
    run "gpunn_alexnet_${precision}_${impl}" "$build/tools/cli/gpunn" time alexnet --device cuda \
      --batch 128 --precision "$precision" --impl "$impl" --iters 10 --warmup 3
  done
done
# Where AlexNet's TF32 step spends its time, per op and implementation (device times from
# CUDA events; after the timed runs, since the profiler's events add to each launch).
echo "---- gpunn_alexnet_tf32_profile" >>"$log"
timeout 60 "$build/tools/cli/gpunn" time alexnet --device cuda --batch 128 --precision tf32 \
  --iters 3 --warmup 2 --profile "$tmp/alexnet_tf32_trace.json" 2>&1 |
  sed -n '/^profile (/,/^wrote the trace/p' >>"$log"
