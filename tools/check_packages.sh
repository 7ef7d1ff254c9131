#!/usr/bin/env bash
# Installs the Debian packages that `tools/run.sh package` wrote, as a user would (apt-get,
# so their dependencies come from Debian's archive), then uses them as a user would:
#   - builds tests/install/consumer with one compiler line from pkg-config,
#   - builds it again as a CMake project with find_package(gpunn),
#   - runs both, `gpunn device` and the autodiff example from /usr/libexec/gpunn.
# Meant for a fresh Debian 12 machine or container (it installs system-wide), after
#   tools/run.sh package
# Usage: tools/check_packages.sh [PACKAGE_DIR]   (default: $GPUNN_BUILD_DIR/packages, build)
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${1:-${GPUNN_BUILD_DIR:-build}/packages}"
debs=("$dir"/libgpunn0_*.deb "$dir"/libgpunn-dev_*.deb "$dir"/gpunn-tools_*.deb)
for deb in "${debs[@]}"; do
  [[ -f "$deb" ]] || { echo "check_packages: no $deb (run tools/run.sh package first)" >&2; exit 2; }
done
sudo=""
[[ "$(id -u)" -ne 0 ]] && sudo="sudo"

echo "== installing ${debs[*]}"
# apt-get takes local files by path (./x.deb) and resolves their Depends from the archive.
paths=()
for deb in "${debs[@]}"; do paths+=("$(realpath "$deb")"); done
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
  "${paths[@]}" pkgconf cmake g++
dpkg-query -W libgpunn0 libgpunn-dev gpunn-tools

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== pkg-config: $(pkg-config --cflags --libs gpunn)"
# shellcheck disable=SC2046  # pkg-config's output is a list of arguments
c++ -std=c++20 tests/install/consumer/main.cpp $(pkg-config --cflags --libs gpunn) \
  -o "$work/consumer_pc"
"$work/consumer_pc" | tee "$work/pc.out"
grep -q "consumer ok" "$work/pc.out"

echo "== find_package(gpunn)"
cmake -S tests/install/consumer -B "$work/cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer" | tee "$work/cmake.out"
grep -q "consumer ok" "$work/cmake.out"

echo "== the tools"
gpunn device
/usr/libexec/gpunn/autodiff >/dev/null
echo "check_packages: the packages install, and programs build and run against them"
