#!/usr/bin/env bash
# Puts the cudnn-frontend C++ headers (NVIDIA's graph API over cuDNN's backend:
# header-only, MIT-licensed) into .devdeps/cudnn_frontend/, where CMake finds them
# (GPUNN_WITH_CUDNN_FRONTEND: attention's cuDNN path, kernels/vendor/cudnn_attention.cpp).
# Debian does not package them; PyPI's nvidia-cudnn-frontend wheel ships them, so this
# downloads that wheel, pinned, with pip in a throwaway venv and unpacks its include/ and
# licence files. Nothing is installed system-wide.
#
#   tools/fetch_cudnn_frontend.sh            (tools/run.sh and bench/prepare_devdeps.sh call it)
#
# Without network it says so and exits 0: the build then goes on without the cuDNN
# attention path (the flag's message names this script). GPUNN_REQUIRE_CUDNN_FRONTEND=1
# makes a failed download an error.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.32.0
dest=.devdeps/cudnn_frontend
stamp="$dest/VERSION"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$version" && -f "$dest/include/cudnn_frontend.h" ]]; then
  exit 0
fi
fail() {
  echo "fetch_cudnn_frontend: $*; building without cuDNN's fused attention" >&2
  [[ "${GPUNN_REQUIRE_CUDNN_FRONTEND:-0}" == 1 ]] && exit 1
  exit 0
}
command -v python3 >/dev/null || fail "no python3"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv" >/dev/null 2>&1 || fail "python3 -m venv failed (install python3-venv)"
echo "== fetching nvidia-cudnn-frontend $version (its C++ headers) from PyPI"
if ! "$work/venv/bin/pip" download --quiet --no-deps --only-binary=:all: \
  "nvidia-cudnn-frontend==$version" -d "$work/wheel" >"$work/pip.log" 2>&1; then
  tail -3 "$work/pip.log" >&2
  fail "pip could not download nvidia-cudnn-frontend==$version"
fi
wheel=$(find "$work/wheel" -name 'nvidia_cudnn_frontend-*.whl' | head -1)
[[ -n "$wheel" ]] || fail "pip downloaded no wheel"
rm -rf "$dest.tmp"
python3 - "$wheel" "$dest.tmp" <<'EOF'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist()
             if (n.startswith("include/") and not n.endswith(".md")) or "/licenses/" in n]
    if not any(n == "include/cudnn_frontend.h" for n in names):
        sys.exit("fetch_cudnn_frontend: the wheel has no include/cudnn_frontend.h")
    z.extractall(out, names)
EOF
mv "$dest.tmp"/*.dist-info/licenses "$dest.tmp/licenses"
rm -rf "$dest.tmp"/*.dist-info
echo "$version" >"$dest.tmp/VERSION"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$dest.tmp" "$dest"
echo "fetch_cudnn_frontend: $(find "$dest/include" -type f | wc -l) headers in $dest"
