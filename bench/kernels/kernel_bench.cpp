// Kernel benchmarks, per op family: gpunn's CPU reference loops, our kernels and the
// vendor library, each checked against a reference first (the largest error is
// reported; a check over its tolerance fails the run) and then timed. One file per
// family over a shared harness (harness.h); this file holds the options and the JSON.
//
//   kernel_bench [--device cpu|cuda] [--families
//   gemm,fc,conv,conv-layout,softmax,pool,activation,elementwise,reduce,random]
//                [--sizes 256,512,...] [--max-size N] [--fc-batch N] [--conv-batch N]
//                [--conv-layers 1,2,3,4,5] [--reference-max-gflop 2.5] [--iters N]
//                [--warmup N] [--json FILE]
//
// Families:
//   gemm         SGEMM C = A·B, square sizes (--sizes, capped by --max-size)
//   fc           AlexNet's fully connected layers at --fc-batch: forward (x·Wᵀ), input
//                gradient (dy·W) and weight gradient (dyᵀ·x)
//   conv         AlexNet's five convolutions at --conv-batch: forward, backward-data,
//                backward-weights
//   conv-layout  the same (--conv-layers) through cuDNN in bfloat16 and float16, NCHW
//                against NHWC (GPU only; not in the default list)
//   softmax, pool, activation (relu), elementwise (add): achieved bandwidth against
//                the ceiling (a large device-to-device copy)
//   reduce       row sums, batch norm statistics, the finite check, the total norm of
//                gradient clipping and the deterministic embedding backward: CUB-based
//                kernels against the hand-written ones they replaced
//                ("custom-handwritten", kernels/cuda/variants.h) and the composed ops
//   random       randperm (a CUB radix sort on the GPU) against the loader's host
//                shuffle and a copy to the device
// On the CPU, "reference" is gpunn's loops (kernels/cpu/) and "vendor" oneDNN; on the
// GPU, "custom" is our CUDA kernel (kernels/cuda/), "vendor" cuBLAS or cuDNN with
// strict FP32 and "vendor-tf32" the same with TensorFloat-32. Times are medians of
// --iters runs after --warmup (CUDA events on the GPU).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench/kernels/harness.h"

namespace bench {
Options& mutable_options();
const std::vector<Row>& rows();
bool failed();
}  // namespace bench

namespace {

using namespace bench;

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void write_json(const std::string& path, const std::string& device_name) {
  std::ofstream f(path);
  if (!f) fail("cannot write " + path);
  f << "{\n  \"tool\": \"kernel_bench\",\n  \"device\": \"" << options().device.str()
    << "\",\n  \"device_name\": \"" << device_name << "\",\n  \"iters\": " << options().iters
    << ",\n  \"warmup\": " << options().warmup
    << ",\n  \"bandwidth_ceiling_gbs\": " << num(bandwidth_ceiling_gbs()) << ",\n  \"rows\": [";
  for (size_t i = 0; i < rows().size(); ++i) {
    const Row& r = rows()[i];
    f << (i ? ",\n" : "\n") << "    {\"family\": \"" << r.family << "\", \"name\": \"" << r.name
      << "\", \"impl\": \"" << r.impl << "\", \"ms\": " << num(r.ms)
      << ", \"gflops\": " << num(r.flops > 0 ? r.flops / (r.ms * 1e6) : NAN)
      << ", \"tflops\": " << num(r.flops > 0 ? r.flops / (r.ms * 1e9) : NAN)
      << ", \"gbs\": " << num(r.bytes > 0 ? r.bytes / (r.ms * 1e6) : NAN)
      << ", \"max_abs_err\": " << num(r.max_abs_err) << ", \"rel_err\": " << num(r.rel_err)
      << ", \"ok\": " << (r.ok ? "true" : "false") << "}";
  }
  f << "\n  ],\n  \"ok\": " << (failed() ? "false" : "true") << "\n}\n";
}

std::vector<int64_t> parse_list(const std::string& text, const char* what) {
  std::vector<int64_t> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    try {
      size_t used = 0;
      out.push_back(std::stoll(item, &used));
      if (used != item.size() || out.back() < 1) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      fail(std::string(what) + ": \"" + item + "\" is not a positive integer");
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options& o = mutable_options();
  std::string device = "cpu",
              families = "gemm,fc,conv,softmax,pool,activation,elementwise,reduce,random", json;
  std::string sizes_text = "256,512,1024,2048,4096,8192", conv_layers = "1,2,3,4,5";
  int64_t max_size = 0, conv_batch = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(arg + " needs a value");
      return argv[++i];
    };
    auto int_value = [&]() -> int64_t { return parse_list(value(), arg.c_str()).at(0); };
    if (arg == "--device") {
      device = value();
    } else if (arg == "--families") {
      families = value();
    } else if (arg == "--sizes") {
      sizes_text = value();
    } else if (arg == "--max-size") {
      max_size = int_value();
    } else if (arg == "--conv-layers") {
      conv_layers = value();
    } else if (arg == "--conv-batch") {
      conv_batch = int_value();
    } else if (arg == "--fc-batch") {
      o.fc_batch = int_value();
    } else if (arg == "--iters") {
      o.iters = static_cast<int>(int_value());
    } else if (arg == "--warmup") {
      const std::string v = value();
      o.warmup = v == "0" ? 0 : static_cast<int>(parse_list(v, "--warmup").at(0));
    } else if (arg == "--reference-max-gflop") {
      o.reference_max_gflop = static_cast<double>(int_value());
    } else if (arg == "--json") {
      json = value();
    } else {
      std::cerr << "usage: kernel_bench [--device cpu|cuda] [--families "
                   "gemm,fc,conv,conv-layout,softmax,pool,activation,elementwise,reduce,random] "
                   "[--sizes 256,...] "
                   "[--max-size N] [--conv-layers 1,...,5] [--conv-batch N] [--fc-batch N] "
                   "[--reference-max-gflop N] [--iters N] [--warmup N] [--json FILE]\n";
      return 2;
    }
  }
  if (device == "cuda" || device == "cuda:0") {
    if (!gpunn::cuda::is_available()) fail("--device cuda: no usable CUDA device in this build");
    o.device = gpunn::Device::cuda(0);
  } else if (device != "cpu") {
    fail("--device must be cpu or cuda, got \"" + device + "\"");
  }
  // The CPU defaults end in a few minutes on a small machine.
  if (max_size == 0) max_size = on_cuda() ? 8192 : 1024;
  o.conv_batch = conv_batch > 0 ? conv_batch : (on_cuda() ? 128 : 4);
  for (int64_t s : parse_list(sizes_text, "--sizes")) {
    if (s <= max_size) o.sizes.push_back(s);
  }
  o.conv_layers = parse_list(conv_layers, "--conv-layers");

  std::string device_name = "cpu";
  if (on_cuda()) device_name = gpunn::cuda::device_properties(0).name;
  if (!on_cuda()) {
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
      if (line.rfind("model name", 0) == 0) {
        device_name = line.substr(line.find(':') + 2);
        break;
      }
    }
  }
  try {
    std::printf(
        "kernel_bench on %s (%s): medians of %d after %d warm-up; copy bandwidth %.1f GB/s\n",
        o.device.str().c_str(), device_name.c_str(), o.iters, o.warmup, bandwidth_ceiling_gbs());
    std::printf("%-12s %-34s %-12s %10s\n", "family", "case", "impl", "ms");
    std::stringstream list(families);
    for (std::string fam; std::getline(list, fam, ',');) {
      if (fam == "gemm")
        bench_gemm();
      else if (fam == "fc")
        bench_fc();
      else if (fam == "conv")
        bench_conv();
      else if (fam == "conv-layout")
        bench_conv_layout();
      else if (fam == "softmax")
        bench_softmax();
      else if (fam == "pool")
        bench_pool();
      else if (fam == "activation")
        bench_activation();
      else if (fam == "elementwise")
        bench_elementwise();
      else if (fam == "reduce")
        bench_reduce();
      else if (fam == "random")
        bench_random();
      else
        fail("unknown family \"" + fam +
             "\" (gemm, fc, conv, conv-layout, softmax, pool, activation, elementwise, reduce, "
             "random)");
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
  if (!json.empty()) write_json(json, device_name);
  if (failed()) {
    std::cerr << "kernel_bench: some results were off the reference (FAILED above)\n";
    return 1;
  }
  return 0;
}
