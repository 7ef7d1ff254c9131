#!/usr/bin/env bash
# gpunn vs PyTorch on the CPU, side by side in one run: builds bench/cpu_bench,
# runs it (--impl auto, then --impl custom for contrast) and
# bench/reference/torch_cpu.py (2 threads), prints a table of medians and
# ratios, and writes bench/results/cpu-<date>.md and .json.
#
#   bench/run_cpu.sh [--iters N] [--warmup N] [--custom-iters N] [--no-custom]
#
# Environment: GPUNN_BUILD_DIR (default build), PYTHON (default /usr/bin/python3,
# Debian's, which has python3-torch).
set -euo pipefail
cd "$(dirname "$0")/.."

iters=20
warmup=3
custom_iters=3
run_custom=1
while (($#)); do
  case "$1" in
    --iters) iters="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --custom-iters) custom_iters="$2"; shift 2 ;;
    --no-custom) run_custom=0; shift ;;
    *) echo "usage: bench/run_cpu.sh [--iters N] [--warmup N] [--custom-iters N] [--no-custom]" >&2
       exit 2 ;;
  esac
done

build="${GPUNN_BUILD_DIR:-build}"
python="${PYTHON:-/usr/bin/python3}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGPUNN_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target cpu_bench >/dev/null

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
bench="$build/bench/cpu_bench"
cmd_gpunn="$bench --impl auto --iters $iters --warmup $warmup"
cmd_torch="$python bench/reference/torch_cpu.py --threads 2 --iters $iters --warmup $warmup"
cmd_custom="$bench --impl custom --models cnn,mlp --iters $custom_iters --warmup 1"

# Interleaved per model, so that both frameworks see the same machine load.
for model in cnn mlp alexnet; do
  echo "== $model: gpunn" >&2
  $cmd_gpunn --models "$model" >>"$out/gpunn.jsonl"
  echo "== $model: torch" >&2
  $cmd_torch --models "$model" >>"$out/torch.jsonl"
done
if ((run_custom)); then
  echo "== cnn, mlp: gpunn --impl custom (the reference loops)" >&2
  $cmd_custom >>"$out/custom.jsonl"
else
  : >"$out/custom.jsonl"
fi

commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo '+dirty')"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
date="$(date +%Y-%m-%d)"
mkdir -p bench/results
"$python" - "$out" "$date" "$commit" "$cpu" "$(nproc)" "$(cat /proc/loadavg)" \
  "$cmd_gpunn" "$cmd_torch" "$cmd_custom" "$("$bench" --build-info 2>/dev/null || true)" <<'PY'
import json, platform, sys
out, date, commit, cpu, nproc, load, cmd_g, cmd_t, cmd_c, info = sys.argv[1:11]
def read(name):
    with open(f"{out}/{name}.jsonl") as f:
        return {r["model"]: r for r in map(json.loads, filter(str.strip, f))}
g, t, c = read("gpunn"), read("torch"), read("custom")
rows = []
for m in ["cnn", "mlp", "alexnet"]:
    rows.append({"model": m, "what": g[m]["what"], "batch": g[m]["batch"],
                 "gpunn_ms": g[m]["median_ms"], "torch_ms": t[m]["median_ms"],
                 "gpunn_images_per_s": g[m]["images_per_s"],
                 "torch_images_per_s": t[m]["images_per_s"],
                 "speedup_vs_torch": t[m]["median_ms"] / g[m]["median_ms"],
                 "custom_ms": c[m]["median_ms"] if m in c else None})
result = {"date": date, "commit": commit, "cpu": cpu, "cores": int(nproc),
          "loadavg_after": load, "machine": platform.node(), "gpunn_build": info,
          "commands": {"gpunn": cmd_g, "torch": cmd_t, "gpunn_custom": cmd_c},
          "rows": rows, "raw": {"gpunn": g, "torch": t, "custom": c}}
with open(f"bench/results/cpu-{date}.json", "w") as f:
    json.dump(result, f, indent=1)
lines = [f"# CPU benchmark, {date}", "",
         f"- CPU: {cpu}, {nproc} cores; load average after the run: {load}",
         f"- commit: {commit}", f"- gpunn: `{cmd_g}`", f"- PyTorch: `{cmd_t}`",
         f"- gpunn reference loops: `{cmd_c}`", "",
         "Medians over the timed iterations after warm-up; speedup = PyTorch time / gpunn time.",
         "",
         "| model | step | batch | gpunn ms | PyTorch ms | gpunn img/s | PyTorch img/s | speedup | gpunn custom ms |",
         "|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    cm = f"{r['custom_ms']:.1f}" if r["custom_ms"] is not None else "-"
    lines.append(f"| {r['model']} | {r['what']} | {r['batch']} | {r['gpunn_ms']:.2f} | "
                 f"{r['torch_ms']:.2f} | {r['gpunn_images_per_s']:.0f} | "
                 f"{r['torch_images_per_s']:.0f} | {r['speedup_vs_torch']:.2f}x | {cm} |")
text = "\n".join(lines) + "\n"
with open(f"bench/results/cpu-{date}.md", "w") as f:
    f.write(text)
print(text)
PY
