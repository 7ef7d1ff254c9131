#!/usr/bin/env bash
# Builds the CPU test suite with AddressSanitizer and UndefinedBehaviorSanitizer
# (LeakSanitizer on; any UB report aborts: -fno-sanitize-recover=all) and runs it.
#
#   tools/sanitize.sh [gtest-filter]
#
# Builds in $GPUNN_SANITIZE_BUILD_DIR (default build-sanitize) with clang, CUDA
# off and oneDNN on (docs/reliability.md says why), then runs gpunn_tests. The
# default filter leaves out the few tests that are slow under the sanitizers and
# add no coverage the others lack (see SLOW below); pass '*' for everything.
# Exits non-zero on any test failure or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."

# Slow under ASan (each a minute or more) and covered by the ordinary test run:
# a full epoch of Fashion-MNIST training and the heaviest model checks.
SLOW="Training.FashionMnistMlpReaches84PercentInOneEpoch"
filter="${1:--$SLOW}"

for tool in clang clang++; do
  command -v "$tool" >/dev/null || {
    echo "tools/sanitize.sh: $tool not found (apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
  }
done

build="${GPUNN_SANITIZE_BUILD_DIR:-build-sanitize}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DGPUNN_WITH_CUDA=OFF -DGPUNN_WITH_ONEDNN="${GPUNN_SANITIZE_ONEDNN:-ON}" \
  -DGPUNN_BUILD_EXAMPLES=OFF -DGPUNN_BUILD_BENCH=OFF -DGPUNN_TEST_PYTHON_INTEROP=OFF \
  -DGPUNN_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build "$build" -j "${GPUNN_JOBS:-$(nproc)}" --target gpunn_tests

# allocator_may_return_null: the host out-of-memory tests ask for exabytes and
# expect OutOfMemoryError, not ASan's abort. detect_leaks is on by default on
# Linux x86-64 and stays on.
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp:print_suppressions=0"
# The tests are split into one shard per core (GoogleTest's sharding), run side
# by side; each shard's log is printed when it fails.
shards="${GPUNN_JOBS:-$(nproc)}"
echo "== gpunn_tests under ASan+UBSan in $shards shards, filter: $filter"
start=$SECONDS
pids=()
for ((i = 0; i < shards; ++i)); do
  GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$i "$build/tests/gpunn_tests" \
    --gtest_filter="$filter" --gtest_brief=1 >"$build/sanitize_shard_$i.log" 2>&1 &
  pids+=($!)
done
failed=0
for ((i = 0; i < shards; ++i)); do
  if ! wait "${pids[$i]}"; then
    failed=1
    echo "== shard $i failed ($build/sanitize_shard_$i.log):"
    tail -n 60 "$build/sanitize_shard_$i.log"
  fi
done
grep -h "tests ran\|PASSED\|SKIPPED \]" "$build"/sanitize_shard_*.log || true
if ((failed)); then
  echo "tools/sanitize.sh: failures under the sanitizers" >&2
  exit 1
fi
echo "== sanitizer run passed in $((SECONDS - start)) s"
