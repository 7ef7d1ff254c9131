#!/usr/bin/env bash
# A/B: `gpunn time` on the CPU from two builds, interleaved round by round (the order
# flips every round), then the medians per model. BASE_CLI and NEW_CLI name the two
# `gpunn` binaries (here: 3667e17 and f22f76d, Release builds).
#   BASE_CLI=/path/to/old/gpunn NEW_CLI=/path/to/new/gpunn ./2026-12-07-cpu-seam-ab.sh
set -u
base=${BASE_CLI:-/tmp/base/build/tools/cli/gpunn}
new=${NEW_CLI:-/tmp/ci-clone/build-ci/tools/cli/gpunn}
out=/tmp/ab; rm -rf $out; mkdir -p $out
export OMP_NUM_THREADS=2
for round in 1 2 3 4 5 6 7 8 9; do
  for spec in "alexnet 8 5 2" "mlp 300 1000 100" "lenet 64 30 5" "cnn 64 40 5"; do
    set -- $spec
    if ((round % 2)); then order="base new"; else order="new base"; fi
    for which in $order; do
      bin=$base; [[ $which == new ]] && bin=$new
      $bin time $1 --device cpu --batch $2 --iters $3 --warmup $4 --json $out/$1.$which.$round.json >/dev/null 2>&1 || echo "fail $1 $which"
    done
  done
done
python3 - <<'PY'
import json,glob,statistics as st
rows=[]
for m in ["alexnet","mlp","lenet","cnn"]:
    r={}
    for w in ["base","new"]:
        its=[json.load(open(f))["iteration_ms"] for f in sorted(glob.glob(f"/tmp/ab/{m}.{w}.*.json"))]
        fw=[json.load(open(f))["forward_ms"] for f in sorted(glob.glob(f"/tmp/ab/{m}.{w}.*.json"))]
        bw=[json.load(open(f))["backward_ms"] for f in sorted(glob.glob(f"/tmp/ab/{m}.{w}.*.json"))]
        r[w]=(st.median(its),st.median(fw),st.median(bw),its)
    print(f"{m:8s} iteration ms base {r['base'][0]:.4f} new {r['new'][0]:.4f} ratio {r['new'][0]/r['base'][0]:.3f} | fwd {r['base'][1]:.4f}->{r['new'][1]:.4f} bwd {r['base'][2]:.4f}->{r['new'][2]:.4f} | runs base {['%.4f'%x for x in r['base'][3]]} new {['%.4f'%x for x in r['new'][3]]}")
PY
