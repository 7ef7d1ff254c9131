#!/usr/bin/env bash
# Registers, shared memory and spills of every CUDA kernel gpunn compiles, for sm_90 (or
# CMAKE_CUDA_ARCHITECTURES), on any machine with nvcc: no GPU needed. Configures a build
# with ptxas -v (GPUNN_CUDA_PTXAS_VERBOSE), compiles the kernels layer and prints one
# line per kernel (bytes of shared memory and of spill stores and loads), spilling
# kernels first.
#
#   tools/cuda_resources.sh [build-dir]      (default build-ptxas)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvcc >/dev/null || { echo "cuda_resources: no nvcc on PATH" >&2; exit 2; }
build="${1:-build-ptxas}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGPUNN_WITH_CUDA=ON \
  -DGPUNN_CUDA_PTXAS_VERBOSE=ON -DGPUNN_USE_CCACHE=OFF -DGPUNN_BUILD_TESTS=OFF \
  -DGPUNN_BUILD_EXAMPLES=OFF -DGPUNN_BUILD_BENCH=OFF -DGPUNN_BUILD_CLI=OFF >/dev/null
# Recompile the .cu objects so ptxas prints again.
find "$build/kernels" -name '*.cu.o' -delete 2>/dev/null || true
log="$build/ptxas.log"
cmake --build "$build" --target gpunn_kernels -j "${GPUNN_JOBS:-$(nproc)}" >"$log" 2>&1 || {
  cat "$log"
  exit 1
}
# ptxas -v prints, per kernel: "Compiling entry function 'NAME' for 'sm_90'", then
# "N bytes stack frame, N bytes spill stores, N bytes spill loads" and
# "Used N registers, ... N bytes smem ...".
awk '
  /Compiling entry function/ { match($0, /'"'"'[^'"'"']+'"'"'/); name = substr($0, RSTART + 1, RLENGTH - 2) }
  /bytes spill stores/ { split($0, a, /[ ,]+/); for (i = 1; i < length(a); i++) { if (a[i+1] == "bytes" && a[i+2] == "spill" && a[i+3] == "stores") st = a[i]; if (a[i+1] == "bytes" && a[i+2] == "spill" && a[i+3] == "loads") ld = a[i] } }
  /Used [0-9]+ registers/ {
    match($0, /Used [0-9]+ registers/); regs = substr($0, RSTART + 5, RLENGTH - 15)
    smem = 0; if (match($0, /[0-9]+ bytes smem/)) smem = substr($0, RSTART, RLENGTH - 11)
    printf "%4d regs %7d smem %5d spill-stores %5d spill-loads  %s\n", regs, smem, st, ld, name
    st = 0; ld = 0
  }' "$log" | c++filt | sort -k5,5nr -k1,1nr | awk '{ print } END { if (NR == 0) { print "cuda_resources: no ptxas report in '"$log"'" > "/dev/stderr"; exit 1 } }'
