#!/usr/bin/env bash
# Recompute instead of store, measured on AlexNet: the memory forward keeps for backward
# (forward_bytes) and the step time with every activation stored and with
# Sequential::checkpoint_segments, rounds alternating so that machine noise falls on all
# of them alike. Prints each run's JSON and then the medians and ratios.
#   bench/recompute.sh [BUILD_DIR] [DEVICE] [BATCH] [ROUNDS]
# (defaults: build, cpu, 16, 3; on a GPU: bench/recompute.sh build cuda 128 3)
set -euo pipefail
build=${1:-build}
device=${2:-cpu}
batch=${3:-16}
rounds=${4:-3}
alexnet="$build/python_free_examples/alexnet"
[[ -x $alexnet ]] || { echo "recompute.sh: no $alexnet (build the examples first)" >&2; exit 1; }
out=$(mktemp -d)
# label|options: stored; conv1 and conv2 blocks recomputed; every segment but the last.
configs=("stored|--checkpoint 0" "first-two-of-3|--checkpoint 3 --checkpoint-count 2"
         "all-of-3|--checkpoint 3")
for ((r = 1; r <= rounds; ++r)); do
  for c in "${configs[@]}"; do
    label=${c%%|*}
    # shellcheck disable=SC2086
    "$alexnet" --device "$device" --batch "$batch" --steps 7 --warmup 2 ${c#*|} --out "$out" |
      tail -1 | sed "s/^/$label /" | tee -a "$out/runs.txt"
  done
done
python3 - "$out/runs.txt" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, js = line.split(" ", 1)
    runs.setdefault(label, []).append(json.loads(js))
base = runs["stored"]
t0 = statistics.median(1 / r["images_per_s"] for r in base)
m0 = statistics.median(r["forward_bytes"] for r in base)
print("| run | forward keeps (MiB) | vs stored | step time vs stored | final loss |")
print("|---|---|---|---|---|")
for label, rs in runs.items():
    t = statistics.median(1 / r["images_per_s"] for r in rs)
    m = statistics.median(r["forward_bytes"] for r in rs)
    print(f"| {label} | {m / 2**20:.1f} | {m / m0:.2f} | {t / t0:.3f} | {rs[0]['final_loss']} |")
PY
