#!/usr/bin/env bash
# gpunn's quick start on a fresh Debian 12 machine: one command per job. Each
# installs what the build needs with apt-get (skipped when already there),
# configures, builds and runs.
#
#   tools/run.sh main   build, then run the main job: python_free_examples/fashion_mnist
#                       (a CNN on Fashion-MNIST; its files go to $build/fashion_mnist)
#   tools/run.sh test   build, then run the whole test suite with CTest
#   tools/run.sh package
#                       build with the install prefix /usr, then write Debian packages
#                       (libgpunn0, libgpunn-dev, gpunn-tools) to $build/packages with CPack
#                       (cmake/GpunnPackage.cmake); tools/check_packages.sh installs them
#
# Environment: GPUNN_BUILD_DIR (default build), GPUNN_CMAKE_ARGS (extra cmake
# arguments, e.g. -DGPUNN_WITH_CUDA=OFF), GPUNN_JOBS (default: all cores).
set -euo pipefail

job="${1:-}"
if [[ "$job" != "main" && "$job" != "test" && "$job" != "package" ]]; then
  echo "usage: tools/run.sh main|test|package" >&2
  exit 2
fi
cd "$(dirname "$0")/.."

# libdnnl-dev: oneDNN, the vendor path on the CPU (docs/cpu.md); libcli11-dev and
# libstb-dev: the training examples' options and PNGs; python3-venv: the
# safetensors interop test installs Python's safetensors into a venv; zlib1g-dev:
# .gz data files; dataset-fashion-mnist, miscfiles (proper names) and
# python-matplotlib-data (a photograph for the filters example): the data the data
# tests and examples read; clang and libclang-rt-14-dev: the sanitizer and fuzzing
# builds that CI runs after the tests (tools/sanitize.sh, tools/fuzz.sh); ccache: every
# build compiles through it (GPUNN_USE_CCACHE); pkgconf: the install test builds a program
# with pkg-config, as Make users do; file: CPack reads the packaged programs with it
# (tools/run.sh package and the install.deb_packages test).
packages=(build-essential cmake ninja-build ccache pkgconf file libgtest-dev libdnnl-dev libcli11-dev libstb-dev
          python3 python3-venv
          zlib1g-dev dataset-fashion-mnist miscfiles python-matplotlib-data
          clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
  echo "== installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The cudnn-frontend headers for attention's cuDNN path (CUDA builds only; fetched once from
# PyPI into .devdeps/, and without network the build goes on without that path).
if { command -v nvcc >/dev/null || [[ -x /usr/local/cuda/bin/nvcc ]]; } &&
   [[ "${GPUNN_CMAKE_ARGS:-}" != *GPUNN_WITH_CUDA=OFF* ]]; then
  tools/fetch_cudnn_frontend.sh
fi

build="${GPUNN_BUILD_DIR:-build}"
jobs="${GPUNN_JOBS:-$(nproc)}"
prefix_args=()
# Debian's layout: /usr/lib/<multiarch>, /usr/libexec (GNUInstallDirs derives them from /usr).
[[ "$job" == "package" ]] && prefix_args=(-DCMAKE_INSTALL_PREFIX=/usr)
# shellcheck disable=SC2086  # GPUNN_CMAKE_ARGS is a list of arguments
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${prefix_args[@]}" ${GPUNN_CMAKE_ARGS:-}
cmake --build "$build" -j "$jobs"

case "$job" in
  main)
    "$build/python_free_examples/fashion_mnist" --out "$build/fashion_mnist"
    ;;
  test)
    ctest --test-dir "$build" --output-on-failure -j "$jobs"
    ;;
  package)
    cpack --config "$build/CPackConfig.cmake" -B "$build/packages"
    ls -1 "$build"/packages/*.deb
    ;;
esac
