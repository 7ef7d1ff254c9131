#!/usr/bin/env bash
# Builds gpunn's libFuzzer targets (fuzz/) and runs each for a while.
#
#   tools/fuzz.sh [seconds-per-target] [target...]
#
# Default: 45 seconds for each of idx, idx_gz, cifar10, safetensors, checkpoint
# (CI runs 30 s each); a long run is e.g. `tools/fuzz.sh 600`. Builds in
# $GPUNN_FUZZ_BUILD_DIR (default build-fuzz) with clang, libFuzzer, ASan and
# UBSan, CUDA and oneDNN off. Each target starts from the seeds in
# fuzz/corpus/<target>/ (regenerate with fuzz/make_corpus.py) and keeps what it
# finds in $build/corpus/<target>/, which later runs reuse; the seed folders are
# never written. Prints executions and crashes per target; a crash, leak,
# timeout or sanitizer report leaves its input in $build/artifacts/<target>/
# (only the latest run's) and makes the script exit 1. Reproduce one with
# `$build/fuzz/fuzz_<target> FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-45}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(idx idx_gz cifar10 safetensors checkpoint)

for tool in clang clang++; do
  command -v "$tool" >/dev/null || {
    echo "tools/fuzz.sh: $tool not found (apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
  }
done

build="${GPUNN_FUZZ_BUILD_DIR:-build-fuzz}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" \
  -DGPUNN_BUILD_FUZZERS=ON -DGPUNN_WITH_CUDA=OFF -DGPUNN_WITH_ONEDNN=OFF \
  -DGPUNN_BUILD_SHARED=OFF -DGPUNN_BUILD_TESTS=OFF -DGPUNN_BUILD_EXAMPLES=OFF \
  -DGPUNN_BUILD_BENCH=OFF -DGPUNN_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build "$build" -j "${GPUNN_JOBS:-$(nproc)}" --target "${targets[@]/#/fuzz_}"

export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=()
summary=()
for t in "${targets[@]}"; do
  seeds="fuzz/corpus/$t"
  [[ -d "$seeds" ]] || { echo "tools/fuzz.sh: no seed corpus $seeds" >&2; exit 2; }
  work="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  rm -rf "$artifacts"  # only this run's findings
  mkdir -p "$work" "$artifacts"
  log="$build/fuzz_$t.log"
  echo "== fuzz_$t: ${seconds}s (log: $log)"
  rc=0
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a reader
  # must not need gigabytes for a small input.
  "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "$seeds" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  crashes=$(find "$artifacts" -type f | wc -l)
  line="fuzz_$t: ${execs:-?} executions in ${seconds}s, $(find "$work" -type f | wc -l) inputs in corpus, $crashes crash files"
  if ((rc != 0)); then
    line+=" — FAILED (exit $rc), see $log"
    failed+=("$t")
    grep -m5 -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" || true
  fi
  echo "$line"
  summary+=("$line")
done

echo "== fuzzing summary"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "tools/fuzz.sh: crashes in ${failed[*]}" >&2
  exit 1
fi
