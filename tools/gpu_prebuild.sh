#!/usr/bin/env bash
# Builds gpunn with CUDA on a CPU machine exactly as tools/gpu_check.sh would on
# the GPU machine (sm_90, cuDNN, no oneDNN, benchmarks on), then stages a copy
# without object files and static libraries in build-gpu-stage/ (ignored by git),
# small enough to carry to the GPU machine, so device time is not spent compiling:
#
#   bench/prepare_devdeps.sh && tools/gpu_prebuild.sh
#   run(command="tools/gpu_check.sh $OUT", carry=[".devdeps", "build-gpu-stage"])
#
# gpu_check.sh checks that the staged binaries load there and builds them itself
# when they do not. Uses ccache when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d .devdeps/cli11 && -d .devdeps/stb ]] || bench/prepare_devdeps.sh
# Attention's cuDNN path is part of what the GPU run proves: its headers are required here.
GPUNN_REQUIRE_CUDNN_FRONTEND=1 tools/fetch_cudnn_frontend.sh
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DGPUNN_WITH_CUDA=ON -DGPUNN_WITH_ONEDNN=OFF -DGPUNN_BUILD_BENCH=ON \
  -DGPUNN_TEST_PYTHON_INTEROP=OFF -DCMAKE_PREFIX_PATH="$PWD/.devdeps/cli11" \
  -DGPUNN_STB_INCLUDE_DIR="$PWD/.devdeps/stb" "${launcher[@]}" >/dev/null
cmake --build build-gpu -j "$(nproc)"
# GoogleTest's test list is made now, on this machine: CTest's discovery step
# includes a module from this machine's CMake, which the GPU machine lacks.
ctest --test-dir build-gpu -N >/dev/null
rm -rf build-gpu-stage
mkdir build-gpu-stage
tar -C build-gpu --exclude='*.o' --exclude='*.a' --exclude='.ninja_*' --exclude='Testing' -cf - . |
  tar -C build-gpu-stage -xf -
# Tests that run CMake scripts name this machine's cmake by its full path;
# CTest looks a bare name up on PATH, which finds the GPU machine's own.
cmake_path=$(command -v cmake)
find build-gpu-stage -name CTestTestfile.cmake -exec sed -i "s|\"$cmake_path\"|\"cmake\"|g" {} +
for inc in build-gpu-stage/tests/*_include.cmake; do
  list="$PWD/build-gpu/tests/$(basename "$inc" _include.cmake)_tests.cmake"
  [[ -f $list ]] || { echo "gpu_prebuild: $list is missing" >&2; exit 1; }
  echo "include(\"$list\")" >"$inc"
done
{
  echo "source_dir=$PWD"
  echo "binary_dir=$PWD/build-gpu"
  echo "commit=$(git rev-parse HEAD)"
  echo "dirty=$(git status --porcelain --untracked-files=no | wc -l)"
  echo "built=$(date -u +%FT%TZ)"
} >build-gpu-stage/prebuilt.txt
echo "staged: $(du -sh build-gpu-stage | cut -f1) in build-gpu-stage (carry it with .devdeps)"
