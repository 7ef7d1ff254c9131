#!/usr/bin/env python3
"""gpunn against PyTorch, side by side in one call: runs `gpunn time` and
bench/reference/torch_time.py on the same models and settings (interleaved per
model, so both see the same machine), kernel_bench, and writes to OUT:

    summary.json   the headline numbers (card, commit, AlexNet b128 fp32/tf32/bf16/fp16,
                   SGEMM 4096, spiral MLP step, peak bytes) and every ratio
    results.md     tables: models (ours, theirs, ratio), AlexNet per layer, kernels
    alexnet_layers.png   per-layer times, ours beside PyTorch's (layer_chart)
    runs.json      every run's full JSON output
    kernels.json   kernel_bench's output
    log.txt        the commands and their output

Standard library only. Used by bench/run_gpu.sh (--device cuda) and
bench/run_compare_cpu.sh (--device cpu).

    compare.py --device cpu|cuda --build DIR --out DIR [--python PY] [--threads N]
               [--alexnet-batch 128] [--iters 10] [--warmup 3] [--custom-alexnet]
               [--kernel-args "..."] [--command TEXT]
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time



def cpu_description():
    """The CPU's model name, the vector ISA levels gpunn's and PyTorch's kernels dispatch
    on, and the logical core count (from /proc/cpuinfo)."""
    model, flags, cores = "unknown", set(), 0
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    model = value.strip()
                    cores += 1
                elif key == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    isa = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile") if f in flags]
    return {"model": model, "isa": isa, "cores": cores}


def torch_blas_description(python):
    """Which BLAS PyTorch's build uses and, for OpenBLAS, the core it chose: its fully
    connected layers depend on it (a generic or misdetected core is not a fair anchor)."""
    probe = (
        "import ctypes, re, torch\n"
        "m = re.search(r'BLAS_INFO=([^,]*)', torch.__config__.show())\n"
        "info = m.group(1) if m else '?'\n"
        "try:\n"
        "    ob = ctypes.CDLL('libopenblas.so.0'); ob.openblas_get_corename.restype = ctypes.c_char_p\n"
        "    core = 'OpenBLAS core ' + ob.openblas_get_corename().decode()\n"
        "except OSError:\n"
        "    core = 'no OpenBLAS loaded'\n"
        "print('BLAS_INFO=' + info + ', ' + core)\n")
    try:
        out = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=120)
        return out.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None

def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=["cpu", "cuda"], required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads for both frameworks (0: their defaults)")
    p.add_argument("--alexnet-batch", type=int, default=128)
    p.add_argument("--small-batch", type=int, default=64, help="batch for lenet and cnn")
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--custom-alexnet", action="store_true",
                   help="also time AlexNet with --impl custom (default on cuda)")
    p.add_argument("--kernel-args", default="")
    p.add_argument("--timeout", type=int, default=300, help="seconds per command")
    p.add_argument("--command", default="", help="the command line to record")
    p.add_argument("--reuse-runs", action="store_true",
                   help="take the model runs from OUT/runs.json (an earlier call) and run "
                        "kernel_bench only")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    cuda = a.device == "cuda"
    custom_alexnet = a.custom_alexnet or cuda
    gpunn = os.path.join(a.build, "tools", "cli", "gpunn")
    kernel_bench = os.path.join(a.build, "bench", "kernels", "kernel_bench")
    chart = os.path.join(a.build, "bench", "layer_chart")
    torch_time = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference",
                              "torch_time.py")
    log = open(os.path.join(a.out, "log.txt"), "w")
    env = dict(os.environ)
    if a.threads:
        env["OMP_NUM_THREADS"] = str(a.threads)
    tmp = os.path.join(a.out, ".tmp.json")

    def run(cmd, reads_json=True):
        """Runs cmd (writing JSON to tmp when reads_json); returns the parsed JSON or None."""
        if reads_json and os.path.exists(tmp):
            os.remove(tmp)
        log.write(f"$ {' '.join(cmd)}\n")
        log.flush()
        t0 = time.time()
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=a.timeout, env=env)
            out, rc = r.stdout, r.returncode
        except subprocess.TimeoutExpired as e:
            out, rc = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or ""), 124
        log.write(out + f"[exit {rc}, {time.time() - t0:.1f} s]\n\n")
        log.flush()
        print(f"  {'ok ' if rc == 0 else 'FAILED'} {time.time() - t0:6.1f}s  {' '.join(cmd)[:110]}",
              file=sys.stderr)
        if rc != 0 or not reads_json:
            return None
        with open(tmp) as f:
            return json.load(f)

    common = ["--iters", str(a.iters), "--warmup", str(a.warmup)]
    th = ["--threads", str(a.threads)] if a.threads else []

    def ours(model, batch, impl, precision):
        return run([gpunn, "time", model, "--device", a.device, "--batch", str(batch), "--impl",
                    impl, "--precision", precision, "--json", tmp] + common)

    def theirs(model, batch, precision):
        return run([a.python, torch_time, model, "--device", a.device, "--batch", str(batch),
                    "--precision", precision, "--json", tmp] + common + th)

    runs = {}
    if a.reuse_runs:
        with open(os.path.join(a.out, "runs.json")) as f:
            runs = json.load(f)
    precisions = ["fp32", "tf32", "bf16", "fp16"] if cuda else ["fp32"]
    for prec in [] if a.reuse_runs else precisions:
        key = f"alexnet_{prec}"
        runs[key] = {"gpunn_vendor": ours("alexnet", a.alexnet_batch, "vendor", prec),
                     "torch": theirs("alexnet", a.alexnet_batch, prec)}
        if custom_alexnet:
            runs[key]["gpunn_custom"] = ours("alexnet", a.alexnet_batch, "custom", prec)
    for model, batch in [] if a.reuse_runs else [("mlp", 300), ("lenet", a.small_batch),
                                                  ("cnn", a.small_batch)]:
        runs[model] = {"gpunn": ours(model, batch, "auto", "fp32"),
                       "torch": theirs(model, batch, "fp32")}
    if os.path.exists(tmp):
        os.remove(tmp)
    kpath = os.path.join(a.out, "kernels.json")
    run([kernel_bench, "--device", a.device, "--json", kpath] + a.kernel_args.split(),
        reads_json=False)
    kernels = None
    if os.path.exists(kpath):
        with open(kpath) as f:
            kernels = json.load(f)

    # ---- summary --------------------------------------------------------------------------
    def get(run_, key):
        return run_.get(key) if run_ else None

    def ratio(x, y):
        return x / y if x and y else None

    def alexnet_ms(prec):
        r = runs.get(f"alexnet_{prec}", {})
        return {"gpunn_vendor": get(r.get("gpunn_vendor"), "iteration_ms"),
                "gpunn_custom": get(r.get("gpunn_custom"), "iteration_ms"),
                "torch": get(r.get("torch"), "iteration_ms")}

    def kernel_tflops(name, impl):
        for row in (kernels or {}).get("rows", []):
            if row["name"] == name and row["impl"] == impl and row["ok"]:
                return row["tflops"]
        return None

    first = next((r for v in runs.values() for r in v.values() if r), {})
    card = first.get("device_name", "unknown")
    driver = None
    if cuda:
        try:
            driver = subprocess.run(["nvidia-smi", "--query-gpu=driver_version",
                                     "--format=csv,noheader"], capture_output=True, text=True,
                                    timeout=20).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            driver = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        if subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "."]).returncode:
            commit += "+dirty"
    except OSError:
        commit = "unknown"
    ab = a.alexnet_batch
    cpu = cpu_description()
    torch_blas = torch_blas_description(a.python) if not cuda else None
    summary = {
        "card": card, "device": a.device, "driver": driver, "commit": commit,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
        "command": a.command or " ".join(sys.argv),
        "threads": a.threads or None,
        "cpu": cpu,
        "torch_blas": torch_blas,
        "loadavg": open("/proc/loadavg").read().strip() if os.path.exists("/proc/loadavg") else None,
        "torch": get(first, "version") if first.get("tool") == "torch_time.py" else
        next((r["version"] for v in runs.values() for r in v.values()
              if r and r.get("tool") == "torch_time.py"), None),
        "alexnet_batch": ab,
        f"alexnet_b{ab}_fp32_ms": alexnet_ms("fp32"),
        f"alexnet_b{ab}_tf32_ms": alexnet_ms("tf32") if cuda else
        {"gpunn_vendor": None, "gpunn_custom": None, "torch": None},
        f"alexnet_b{ab}_bf16_ms": alexnet_ms("bf16") if cuda else
        {"gpunn_vendor": None, "gpunn_custom": None, "torch": None},
        f"alexnet_b{ab}_fp16_ms": alexnet_ms("fp16") if cuda else
        {"gpunn_vendor": None, "gpunn_custom": None, "torch": None},
        "sgemm_4096_tflops": {"custom": kernel_tflops("sgemm 4096x4096x4096", "custom"),
                              "cublas": kernel_tflops("sgemm 4096x4096x4096", "vendor")},
        "gemm_4096_bf16_tflops": {"custom": kernel_tflops("bf16 gemm 4096x4096x4096", "custom"),
                                  "cublas": kernel_tflops("bf16 gemm 4096x4096x4096", "vendor")},
        "mlp_spiral_step_us": {
            "gpunn": (get(runs["mlp"]["gpunn"], "iteration_ms") or 0) * 1000 or None,
            "torch": (get(runs["mlp"]["torch"], "iteration_ms") or 0) * 1000 or None},
        "peak_bytes": {"gpunn": get(runs["alexnet_fp32"]["gpunn_vendor"], "peak_bytes"),
                       "torch": get(runs["alexnet_fp32"]["torch"], "peak_bytes")},
        "kernels_ok": kernels.get("ok") if kernels else None,
    }
    if ab != 128:
        # The headline keys are batch 128; this run measured another batch (alexnet_b{ab}_*).
        none = {"gpunn_vendor": None, "gpunn_custom": None, "torch": None}
        for prec in ("fp32", "tf32", "bf16", "fp16"):
            summary[f"alexnet_b128_{prec}_ms"] = dict(none)
    if not cuda and kernels:
        sizes = [r for r in kernels["rows"] if r["family"] == "gemm" and r["ok"]]
        if sizes:
            big = sizes[-1]["name"]
            summary["sgemm_largest_cpu_tflops"] = {
                "size": big, "reference": kernel_tflops(big, "reference"),
                "onednn": kernel_tflops(big, "vendor")}
    rows = []
    for key, v in runs.items():
        t = v.get("torch")
        for impl, r in v.items():
            if impl == "torch" or r is None:
                continue
            rows.append({"run": key, "gpunn": impl, "batch": r["batch"],
                         "gpunn_ms": r["iteration_ms"], "torch_ms": get(t, "iteration_ms"),
                         "ratio_gpunn_over_torch": ratio(r["iteration_ms"], get(t, "iteration_ms")),
                         "gpunn_images_per_s": r["images_per_s"],
                         "torch_images_per_s": get(t, "images_per_s"),
                         "gpunn_tflops": r["iteration_tflops"],
                         "torch_tflops": get(t, "iteration_tflops"),
                         "gpunn_peak_bytes": r["peak_bytes"], "torch_peak_bytes": get(t, "peak_bytes")})
    summary["rows"] = rows
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    with open(os.path.join(a.out, "runs.json"), "w") as f:
        json.dump(runs, f, indent=1)

    # ---- tables -------------------------------------------------------------------------------
    def fmt(v, spec=".2f"):
        return "-" if v is None else format(v, spec)

    md = [f"# gpunn vs PyTorch on {card} ({a.device})", "",
          f"- date: {summary['date']}, commit: {commit}, driver: {driver or '-'}, "
          f"PyTorch: {summary['torch'] or '-'}",
          f"- command: `{summary['command']}`",
          f"- CPU: {cpu['model']} ({', '.join(cpu['isa']) or 'no AVX'}; {cpu['cores']} logical "
          f"cores)" + (f"; PyTorch's BLAS: {torch_blas}" if torch_blas else ""),
          f"- medians of {a.iters} iterations after {a.warmup} warm-up; threads: "
          f"{a.threads or 'default'}; load average after: {summary['loadavg'] or '-'}",
          "- iteration = forward, cross-entropy, backward, SGD step (momentum 0.9); "
          "ratio = gpunn time / PyTorch time (below 1: gpunn faster)", "",
          "| run | gpunn impl | batch | gpunn ms | PyTorch ms | ratio | gpunn img/s | "
          "PyTorch img/s | gpunn TFLOP/s | gpunn peak MiB | PyTorch peak MiB |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    mib = lambda b: None if b is None else b / 2**20  # noqa: E731
    for r in rows:
        md.append(f"| {r['run']} | {r['gpunn']} | {r['batch']} | {fmt(r['gpunn_ms'], '.3f')} | "
                  f"{fmt(r['torch_ms'], '.3f')} | {fmt(r['ratio_gpunn_over_torch'])} | "
                  f"{fmt(r['gpunn_images_per_s'], '.0f')} | {fmt(r['torch_images_per_s'], '.0f')} | "
                  f"{fmt(r['gpunn_tflops'], '.3f')} | {fmt(mib(r['gpunn_peak_bytes']), '.1f')} | "
                  f"{fmt(mib(r['torch_peak_bytes']), '.1f')} |")
        print(f"{r['run']:>13} {r['gpunn']:>13}: gpunn {fmt(r['gpunn_ms'], '9.3f')} ms  "
              f"torch {fmt(r['torch_ms'], '9.3f')} ms  ratio {fmt(r['ratio_gpunn_over_torch'])}")

    # AlexNet per layer (fp32), ours beside theirs, and the chart.
    a32 = runs["alexnet_fp32"]
    series = [("gpunn vendor", a32.get("gpunn_vendor")), ("gpunn custom", a32.get("gpunn_custom")),
              ("PyTorch", a32.get("torch"))]
    series = [(n, r) for n, r in series if r]
    if series:
        md += ["", f"## AlexNet per layer, batch {ab}, fp32 (ms)", "",
               "| # | layer | output | " + " | ".join(f"{n} fwd | {n} bwd" for n, _ in series) + " |",
               "|---|---|---|" + "---|---|" * len(series)]
        tsv = ["layer\t" + "\t".join(n.upper() for n, _ in series)]
        n_layers = len(series[0][1]["layers"])
        for i in range(n_layers):
            l0 = series[0][1]["layers"][i]
            cells = []
            for _, r in series:
                li = r["layers"][i] if i < len(r["layers"]) else {}
                cells += [fmt(li.get("forward_ms"), ".3f"), fmt(li.get("backward_ms"), ".3f")]
            md.append(f"| {i} | {l0['type']} | {'x'.join(map(str, l0['output_shape']))} | "
                      + " | ".join(cells) + " |")
            for pas, key in [("FWD", "forward_ms"), ("BWD", "backward_ms")]:
                vals = [r["layers"][i].get(key) if i < len(r["layers"]) else None
                        for _, r in series]
                if any(v for v in vals):
                    tsv.append(f"{i} {l0['type'].upper()} {pas}\t"
                               + "\t".join("-" if v is None else f"{v:.6g}" for v in vals))
        if os.path.exists(chart):
            png = os.path.join(a.out, "alexnet_layers.png")
            r = subprocess.run([chart, png, f"ALEXNET B{ab} FP32 PER LAYER, {card[:40]}",
                                "MS (MEDIAN)"], input="\n".join(tsv) + "\n", text=True,
                               capture_output=True)
            log.write(f"layer_chart: exit {r.returncode} {r.stderr}\n")
        else:
            log.write(f"layer_chart: {chart} not built (needs CLI11 and stb); no PNG\n")

    if kernels:
        md += ["", f"## Kernels (kernel_bench), bandwidth ceiling "
                   f"{fmt(kernels.get('bandwidth_ceiling_gbs'), '.1f')} GB/s", "",
               "| family | case | impl | ms | GFLOP/s | GB/s | rel. error | ok |",
               "|---|---|---|---|---|---|---|---|"]
        for r in kernels["rows"]:
            md.append(f"| {r['family']} | {r['name']} | {r['impl']} | {fmt(r['ms'], '.3f')} | "
                      f"{fmt(r['gflops'], '.1f')} | {fmt(r['gbs'], '.1f')} | "
                      f"{fmt(r['rel_err'], '.1e')} | {'yes' if r['ok'] else 'NO'} |")
    md += ["", "## Summary (summary.json)", "", "```json",
           json.dumps({k: v for k, v in summary.items() if k != "rows"}, indent=1), "```", ""]
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write("\n".join(md))
    print(json.dumps({k: v for k, v in summary.items() if k != "rows"}, indent=1))
    failed = [f"{k}/{i}" for k, v in runs.items() for i, r in v.items() if r is None]
    if failed or not kernels or not kernels.get("ok"):
        print(f"compare.py: failed runs: {failed or 'none'}; kernels ok: "
              f"{kernels.get('ok') if kernels else None}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
