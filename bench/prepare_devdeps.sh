#!/usr/bin/env bash
# Copies the build-time dependencies that the GPU machine lacks (it has no
# network and no Debian packages) into .devdeps/, which git ignores and a GPU
# run carries: GoogleTest's source (tests/CMakeLists.txt), CLI11's headers and
# CMake package (tools/cli, python_free_examples) and stb_image_write.h (the
# examples' PNG writer, used by bench/layer_chart); and the cudnn-frontend headers
# (tools/fetch_cudnn_frontend.sh: attention's cuDNN path).
#
#   bench/prepare_devdeps.sh        (on this machine, with libgtest-dev,
#                                    libcli11-dev and libstb-dev installed)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .devdeps
if [[ ! -d .devdeps/googletest && -d /usr/src/googletest ]]; then
  cp -r /usr/src/googletest .devdeps/googletest
fi
mkdir -p .devdeps/cli11/include .devdeps/cli11/share/cmake .devdeps/stb/stb
cp -r /usr/include/CLI .devdeps/cli11/include/
cp -r /usr/share/cmake/CLI11 .devdeps/cli11/share/cmake/
cp /usr/include/stb/stb_image_write.h /usr/include/stb/stb_image.h .devdeps/stb/stb/
tools/fetch_cudnn_frontend.sh
du -sh .devdeps
