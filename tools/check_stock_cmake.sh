#!/usr/bin/env bash
# Configures gpunn's CUDA build against the CMake modules exactly as Debian ships them.
#
# Our build machines carry a patched FindCUDAToolkit.cmake, which once hid a configure
# failure that every user on a stock Debian 12 with the CUDA 13 toolkit met (Note [stock
# FindCUDAToolkit and CUDA 13] in cmake/gpunnFindCUDAToolkit.cmake). This fetches the
# installed cmake-data package again from Debian's archive, unpacks its Modules folder and
# puts it first on CMAKE_MODULE_PATH, then configures (no build). CI runs it (.ci/run), so
# such a failure cannot come back unseen. Without nvcc there is nothing to check.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvcc >/dev/null; then
  echo "check_stock_cmake: no nvcc on PATH; the CUDA configure is not reachable here"
  exit 0
fi
version=$(dpkg-query -W -f='${Version}' cmake-data 2>/dev/null) || {
  echo "check_stock_cmake: cmake does not come from Debian's cmake-data package here" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
download() { (cd "$work" && apt-get download -q "cmake-data=$version" >/dev/null 2>&1); }
if ! download; then
  sudo=""
  [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -q >/dev/null
  download || { echo "check_stock_cmake: cannot fetch cmake-data=$version from Debian's archive" >&2; exit 1; }
fi
dpkg-deb -x "$work"/cmake-data_*.deb "$work/root"
modules=$(echo "$work"/root/usr/share/cmake-*/Modules)
[[ -f "$modules/FindCUDAToolkit.cmake" ]] || { echo "check_stock_cmake: no FindCUDAToolkit.cmake in $modules" >&2; exit 1; }

echo "== configuring with Debian's unpatched modules (cmake-data $version)"
if ! cmake -S . -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGPUNN_WITH_CUDA=ON \
      -DCMAKE_MODULE_PATH="$modules" -DGPUNN_BUILD_TESTS=OFF -DGPUNN_BUILD_EXAMPLES=OFF \
      -DGPUNN_BUILD_BENCH=OFF -DGPUNN_BUILD_CLI=OFF >"$work/configure.log" 2>&1; then
  cat "$work/configure.log"
  echo "check_stock_cmake: FAILED: gpunn does not configure with Debian's stock CMake modules" >&2
  exit 1
fi
grep -E '^-- gpunn ' "$work/configure.log" || true
echo "check_stock_cmake: ok"
