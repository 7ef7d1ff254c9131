// gpunn: the command-line tool.
//
//   gpunn device [--json]
//       The CUDA devices gpunn sees (name, compute capability, memory, clocks,
//       driver/runtime/cuBLAS/cuDNN versions) and what this build contains (with
//       --json: one object, {"build_info": "...", "devices": [...]}).
//
//   gpunn time MODEL [--batch N] [--device auto|cpu|cuda[:i]] [--impl SPEC]
//                    [--precision fp32|tf32|bf16|fp16] [--iters N] [--warmup N] [--json FILE]
//                    [--profile FILE]
//       MODEL: alexnet, mlp (the spiral MLP 2-100-3), lenet, cnn (the
//       Fashion-MNIST CNN). Times the model layer by layer, forward and
//       backward, then whole training iterations (forward, cross-entropy,
//       backward, SGD step with momentum), and reports medians over --iters
//       after --warmup untimed rounds, images/s, achieved FLOP/s against counted
//       FLOPs, and the peak memory held by tensors. SPEC is one of
//       custom|vendor|auto for every op family, or a comma list mixing that with
//       FAMILY=IMPL items (e.g. "vendor,conv=custom"; families as in
//       gpunn/config.h: conv, gemm, pool, ...). Times are CUDA-event intervals on
//       the device's stream on the GPU, steady_clock intervals on the CPU. The last stdout
//       line is the results as one JSON object (also written to --json FILE).
//
//   gpunn estimate MODEL [--batch N] [--device cpu|cuda[:i]] [--precision P]
//                        [--optimizer sgd|momentum|adam|none] [--measure]
//       The memory one training step of MODEL will take on the device, before any
//       data exists (memory::estimate, gpunn/nn/estimate.h: the step runs on meta
//       tensors): parameters, gradients, optimizer state, activations kept for
//       backward by layer, and the predicted peak. The device need not be present.
//       --measure then runs two real steps there and prints the measured peak next to
//       the estimate. The last stdout line is one JSON object.
#include <gpunn/gpunn.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli_checks.h"
#include "precision.h"
#include "profile.h"

namespace {

using namespace gpunn;

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// ---- models and counted FLOPs ------------------------------------------------------------------

struct ModelSpec {
  std::string name, description;
  std::shared_ptr<nn::Sequential> net;
  Shape input;  // without the batch dim
  int64_t classes = 0;
  int64_t default_batch = 0;
};

ModelSpec make_model(const std::string& name) {
  if (name == "alexnet")
    return {name, "AlexNet, 224x224 RGB, 1000 classes", models::alexnet(), {3, 224, 224}, 1000,
            128};
  if (name == "mlp") return {name, "spiral MLP 2-100-3", models::spiral_mlp(100, 3), {2}, 3, 300};
  if (name == "lenet")
    return {name, "LeNet-5, 28x28 gray, 10 classes", models::lenet5(), {1, 28, 28}, 10, 64};
  if (name == "cnn" || name == "fashion_cnn")
    return {
        "cnn", "Fashion-MNIST CNN, 28x28 gray, 10 classes", models::fashion_cnn(), {1, 28, 28}, 10,
        64};
  throw Error("time: unknown model \"" + name + "\" (expected alexnet, mlp, lenet or cnn)");
}

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Counted floating-point operations of one layer: a multiply-add is 2. The
// backward of a convolution or linear layer is one product of the forward's
// size for the weight gradient and, when the input needs a gradient, one more
// for it; bias terms, pooling comparisons and element-wise ops count one per
// element (window element for pooling) they touch.
struct Flops {
  double forward = 0, backward = 0;
};

Flops count_flops(nn::Module& layer, const Shape& in, const Shape& out, bool input_grad) {
  Flops f;
  const double n_out = static_cast<double>(numel(out));
  const std::string& type = layer.type_name();
  if (auto* conv = dynamic_cast<nn::Conv2d*>(&layer)) {
    const auto& o = conv->options;
    const double macs = n_out * static_cast<double>(o.in_channels / o.groups) *
                        static_cast<double>(o.kernel_size.h * o.kernel_size.w);
    const double bias = o.bias ? n_out : 0.0;
    f.forward = 2 * macs + bias;
    f.backward = 2 * macs * (input_grad ? 2 : 1) + bias;
  } else if (auto* lin = dynamic_cast<nn::Linear*>(&layer)) {
    const double macs = n_out * static_cast<double>(lin->in_features);
    const double bias = lin->bias.defined() ? n_out : 0.0;
    f.forward = 2 * macs + bias;
    f.backward = 2 * macs * (input_grad ? 2 : 1) + bias;
  } else if (auto* pool = dynamic_cast<nn::MaxPool2d*>(&layer)) {
    const auto& k = pool->options.kernel_size;
    f.forward = n_out * static_cast<double>(k.h * k.w);
    f.backward = input_grad ? n_out : 0.0;
  } else if (auto* avg = dynamic_cast<nn::AvgPool2d*>(&layer)) {
    const auto& k = avg->options.kernel_size;
    f.forward = n_out * static_cast<double>(k.h * k.w);
    f.backward = input_grad ? n_out * static_cast<double>(k.h * k.w) : 0.0;
  } else if (type == "Flatten") {
    f = {};
  } else {  // ReLU, Dropout, Tanh, ...: one op per element each way
    f.forward = n_out;
    f.backward = input_grad ? static_cast<double>(numel(in)) : 0.0;
  }
  return f;
}

// ---- the `time` command -------------------------------------------------------------------------

struct TimeOptions {
  std::string model;
  int64_t batch = 0;  // 0: the model's default
  std::string device = "auto";
  std::string impl = "auto";
  std::string precision = "fp32";
  int iters = 10;
  int warmup = 3;
  std::string json;
  std::string profile;  // --profile FILE: the timed whole iterations under the profiler
};

struct LayerResult {
  std::string name, type;
  Shape output;
  Flops flops;
  std::vector<double> fwd_ms, bwd_ms;
  bool has_backward = false;
  // What ran in the last iteration, "op:implementation" in order of first launch (auto's
  // choices included: "conv2d:cuda#2").
  std::vector<std::string> fwd_impl, bwd_impl;
};

// The trace's launches as distinct "op:implementation" items, in order.
std::vector<std::string> launched(const LaunchTrace& trace) {
  std::vector<std::string> items;
  for (const LaunchRecord& r : trace.records()) {
    const std::string item = r.op + ":" + implementation_name(r.implementation, r.variant);
    if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
  }
  return items;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : " ") + i;
  return out.empty() ? "-" : out;
}

Device resolve_device(const std::string& text) {
  if (text == "auto") return cuda::is_available() ? Device::cuda(0) : kCPU;
  const Device d = Device::parse(text);
  if (d.is_cuda()) {
    GPUNN_CHECK(cuda::is_available(), "--device ", text,
                " asked for, but this build has no usable CUDA device (see `gpunn device`)");
    GPUNN_CHECK(d.index < cuda::device_count(), "--device ", text, ": only ", cuda::device_count(),
                " CUDA device(s)");
  }
  return d;
}

// "vendor", "custom,gemm=vendor", "conv=custom": applied left to right.
void apply_impl_spec(const std::string& spec) {
  std::stringstream list(spec);
  bool any = false;
  for (std::string item; std::getline(list, item, ',');) {
    if (item.empty()) continue;
    any = true;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      set_impl(parse_impl(item));
      continue;
    }
    const std::string family = item.substr(0, eq);
    bool found = false;
    std::string known;
    for (int f = 0; f < static_cast<int>(OpFamily::kCount); ++f) {
      const auto fam = static_cast<OpFamily>(f);
      known += std::string(known.empty() ? "" : ", ") + op_family_name(fam);
      if (family == op_family_name(fam)) {
        set_impl(fam, parse_impl(item.substr(eq + 1)));
        found = true;
      }
    }
    GPUNN_CHECK(found, "--impl: unknown op family \"", family, "\" (expected one of ", known, ")");
  }
  GPUNN_CHECK(any, "--impl: empty specification \"", spec, "\"");
}

std::string device_name(Device d) {
  if (d.is_cuda()) return cuda::device_properties(d.index).name;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "cpu";
}

std::string json_escape(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream os;
  os << std::setprecision(9) << v;
  return os.str();
}

std::string shape_str(const Shape& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
  return out;
}

int run_time(const TimeOptions& o) {
  GPUNN_CHECK(o.iters >= 1, "time: --iters must be at least 1, got ", o.iters);
  GPUNN_CHECK(o.warmup >= 0, "time: --warmup must be at least 0, got ", o.warmup);
  GPUNN_CHECK(o.precision == "fp32" || o.precision == "tf32" || o.precision == "bf16" ||
                  o.precision == "fp16",
              "time: --precision must be fp32, tf32, bf16 or fp16, got \"", o.precision, "\"");
  // An unwritable --json is found now, not after the timing.
  std::unique_ptr<std::ofstream> json_file;
  if (!o.json.empty()) {
    json_file = std::make_unique<std::ofstream>(o.json);
    GPUNN_CHECK(json_file->good(), "time: cannot write --json file \"", o.json,
                "\": ", std::strerror(errno));
  }
  apply_impl_spec(o.impl);
  cli::apply_precision(o.precision);
  // bf16 and fp16: autocast around every forward (tools/common/precision.h).
  const bool amp = cli::uses_autocast(o.precision);
  const DType amp_dtype = cli::autocast_dtype(o.precision);
  const Device device = resolve_device(o.device);
  manual_seed(0);
  ModelSpec m = make_model(o.model);
  const int64_t batch = o.batch > 0 ? o.batch : m.default_batch;
  GPUNN_CHECK(o.batch >= 0, "time: --batch must be positive, got ", o.batch);
  m.net->to(device);
  m.net->train();
  Shape in_shape = m.input;
  in_shape.insert(in_shape.begin(), batch);
  const TensorOptions opts = TensorOptions(kFloat32).device(device);
  // Random inputs and labels: the time of a step does not depend on the values.
  const Tensor x = randn(in_shape, opts);
  const Tensor y = randint(0, m.classes, {batch}, TensorOptions(kInt64).device(device));

  // ---- layer by layer: each layer's forward on its real input, its backward
  // given a gradient of its output's shape.
  std::vector<LayerResult> layers;
  for (const auto& [name, layer] : m.net->named_children()) {
    LayerResult r;
    r.name = name;
    r.type = layer->type_name();
    layers.push_back(r);
  }
  std::vector<Tensor> grads(layers.size());
  cuda::Timer timer(device);
  for (int it = 0; it < o.warmup + o.iters; ++it) {
    const bool record = it >= o.warmup;
    const bool last = it + 1 == o.warmup + o.iters;
    Tensor h = x;
    for (size_t i = 0; i < layers.size(); ++i) {
      nn::Module& layer = *(*m.net)[i];
      Tensor in = h.detach();
      // The first layer's input is data: no gradient, as in training.
      if (i > 0) in.requires_grad_(true);
      LaunchTrace fwd_trace;
      timer.start();
      Tensor out;
      {
        autocast::Guard guard(amp_dtype, amp);
        out = layer(in);
      }
      const double fwd = timer.stop_ms();
      LayerResult& r = layers[i];
      if (last) r.fwd_impl = launched(fwd_trace);
      if (it == 0) {
        r.output = out.shape();
        r.flops = count_flops(layer, in.shape(), out.shape(), i > 0);
        r.has_backward = out.requires_grad();
        grads[i] = randn(out.shape(), out.options());
      }
      if (record) r.fwd_ms.push_back(fwd);
      if (r.has_backward) {
        LaunchTrace bwd_trace;
        timer.start();
        out.backward(grads[i]);
        const double bwd = timer.stop_ms();
        if (record) r.bwd_ms.push_back(bwd);
        if (last) r.bwd_impl = launched(bwd_trace);
      }
      layer.zero_grad(/*set_to_none=*/true);
      h = out.detach();
    }
  }

  // ---- whole training iterations.
  optim::SGD opt(m.net->parameters(), {.lr = 0.01, .momentum = 0.9});
  optim::GradScaler scaler(cli::scaler_options(o.precision));
  opt.zero_grad(true);
  grads.clear();
  if (device.is_cuda()) cuda::synchronize(device.index);
  reset_peak_memory_stats(device);
  std::vector<double> step_ms;
  cli::ProfileRun profile(o.profile);
  for (int it = 0; it < o.warmup + o.iters; ++it) {
    if (it == o.warmup) profile.start();  // the timed iterations (which then include its cost)
    const profiler::Range step_range("step");
    timer.start();
    Tensor loss;
    {
      autocast::Guard guard(amp_dtype, amp);
      loss = cross_entropy((*m.net)(x), y);
    }
    scaler.scale(loss).backward();
    scaler.step(opt);
    scaler.update();
    opt.zero_grad(true);
    const double ms = timer.stop_ms();
    if (it >= o.warmup) step_ms.push_back(ms);
  }
  profile.finish();
  const MemoryStats mem = memory_stats(device);

  // ---- report.
  double fwd_total = 0, bwd_total = 0, flops_total = 0;
  for (const LayerResult& r : layers) {
    fwd_total += median(r.fwd_ms);
    if (r.has_backward) bwd_total += median(r.bwd_ms);
    flops_total += r.flops.forward + r.flops.backward;
  }
  const double iter_ms = median(step_ms);
  const double images_per_s = 1000.0 * static_cast<double>(batch) / iter_ms;
  const double iter_gflops = flops_total / (iter_ms * 1e6);
  std::string impls;
  for (int f = 0; f < static_cast<int>(OpFamily::kCount); ++f) {
    const auto fam = static_cast<OpFamily>(f);
    impls += std::string(impls.empty() ? "" : ",") + op_family_name(fam) + "=" +
             impl_name(get_impl(fam));
  }
  const std::string dev_name = device_name(device);

  std::printf("gpunn time %s: %s, batch %lld, %s (%s), precision %s\n", m.name.c_str(),
              m.description.c_str(), static_cast<long long>(batch), device.str().c_str(),
              dev_name.c_str(), o.precision.c_str());
  std::printf("impl: %s\n", impls.c_str());
  std::printf("medians over %d iterations after %d warm-up\n\n", o.iters, o.warmup);
  std::printf("%-4s %-10s %-16s %11s %11s %11s %11s\n", "#", "layer", "output", "fwd ms", "bwd ms",
              "fwd GF/s", "bwd GF/s");
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerResult& r = layers[i];
    const double f = median(r.fwd_ms);
    const double b = r.has_backward ? median(r.bwd_ms) : std::nan("");
    auto cell = [](double v) {
      char buf[32];
      if (std::isfinite(v))
        std::snprintf(buf, sizeof buf, "%11.3f", v);
      else
        std::snprintf(buf, sizeof buf, "%11s", "-");
      return std::string(buf);
    };
    std::printf(
        "%-4zu %-10s %-16s %s %s %s %s\n", i, r.type.substr(0, 10).c_str(),
        shape_str(r.output).c_str(), cell(f).c_str(), cell(b).c_str(),
        cell(r.flops.forward > 0 ? r.flops.forward / (f * 1e6) : std::nan("")).c_str(),
        cell(r.flops.backward > 0 && std::isfinite(b) ? r.flops.backward / (b * 1e6) : std::nan(""))
            .c_str());
  }
  std::printf("\nwhat ran (op:implementation; auto's measured choices as cuda#N, our kernel N):\n");
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerResult& r = layers[i];
    std::printf("%-4zu %-10s fwd %s\n", i, r.type.substr(0, 10).c_str(),
                joined(r.fwd_impl).c_str());
    if (r.has_backward) std::printf("%-4s %-10s bwd %s\n", "", "", joined(r.bwd_impl).c_str());
  }
  std::printf("\nlayers: forward %.3f ms, backward %.3f ms (sums of the layer medians)\n",
              fwd_total, bwd_total);
  std::printf(
      "iteration (forward, loss, backward, SGD step): %.3f ms, %.1f images/s, %.2f GFLOP/s "
      "(%.3g counted FLOPs)\n",
      iter_ms, images_per_s, iter_gflops, flops_total);
  std::printf("peak memory held by tensors: %.1f MiB (reserved %.1f MiB)\n",
              static_cast<double>(mem.peak_allocated_bytes) / (1 << 20),
              static_cast<double>(mem.peak_reserved_bytes) / (1 << 20));

  // The results as JSON: to --json FILE when given, and always as the last stdout line.
  {
    std::ostringstream f;
    f << "{\n  \"tool\": \"gpunn time\",\n  \"version\": " << json_escape(version())
      << ",\n  \"model\": " << json_escape(m.name)
      << ",\n  \"description\": " << json_escape(m.description) << ",\n  \"batch\": " << batch
      << ",\n  \"device\": " << json_escape(device.str())
      << ",\n  \"device_name\": " << json_escape(dev_name)
      << ",\n  \"impl\": " << json_escape(impls) << ",\n  \"impl_spec\": " << json_escape(o.impl)
      << ",\n  \"precision\": " << json_escape(o.precision)
      << ",\n  \"timer\": " << json_escape(device.is_cuda() ? "cuda_events" : "steady_clock")
      << ",\n  \"iters\": " << o.iters << ",\n  \"warmup\": " << o.warmup << ",\n  \"layers\": [";
    for (size_t i = 0; i < layers.size(); ++i) {
      const LayerResult& r = layers[i];
      const double fm = median(r.fwd_ms);
      const double bm = r.has_backward ? median(r.bwd_ms) : std::nan("");
      f << (i ? ",\n" : "\n") << "    {\"index\": " << i << ", \"name\": " << json_escape(r.name)
        << ", \"type\": " << json_escape(r.type) << ", \"output_shape\": [";
      for (size_t d = 0; d < r.output.size(); ++d) f << (d ? ", " : "") << r.output[d];
      f << "], \"forward_ms\": " << json_number(fm) << ", \"backward_ms\": " << json_number(bm)
        << ", \"forward_flops\": " << json_number(r.flops.forward)
        << ", \"backward_flops\": " << json_number(r.flops.backward) << ", \"forward_gflops\": "
        << json_number(r.flops.forward > 0 ? r.flops.forward / (fm * 1e6) : std::nan(""))
        << ", \"backward_gflops\": "
        << json_number(r.flops.backward > 0 ? r.flops.backward / (bm * 1e6) : std::nan(""));
      for (const auto& [key, items] :
           {std::pair{"forward_impl", &r.fwd_impl}, std::pair{"backward_impl", &r.bwd_impl}}) {
        f << ", \"" << key << "\": [";
        for (size_t k = 0; k < items->size(); ++k) f << (k ? ", " : "") << json_escape((*items)[k]);
        f << "]";
      }
      f << "}";
    }
    f << "\n  ],\n  \"forward_ms\": " << json_number(fwd_total)
      << ",\n  \"backward_ms\": " << json_number(bwd_total)
      << ",\n  \"iteration_ms\": " << json_number(iter_ms) << ",\n  \"iteration_ms_all\": [";
    for (size_t i = 0; i < step_ms.size(); ++i) f << (i ? ", " : "") << json_number(step_ms[i]);
    f << "],\n  \"images_per_s\": " << json_number(images_per_s)
      << ",\n  \"iteration_flops\": " << json_number(flops_total)
      << ",\n  \"iteration_gflops\": " << json_number(iter_gflops)
      << ",\n  \"iteration_tflops\": " << json_number(iter_gflops / 1000)
      << ",\n  \"peak_bytes\": " << mem.peak_allocated_bytes
      << ",\n  \"peak_reserved_bytes\": " << mem.peak_reserved_bytes
      << ",\n  \"tuning\": " << (tuning() ? "true" : "false") << ",\n  \"tuned\": [";
    // auto's measured choices (gpunn/config.h: set_tuning), one per measured call key.
    const std::vector<TuningRecord> tuned = tuning_records();
    for (size_t i = 0; i < tuned.size(); ++i) {
      f << (i ? ",\n" : "\n") << "    {\"key\": " << json_escape(tuned[i].key)
        << ", \"implementation\": "
        << json_escape(implementation_name(tuned[i].implementation, tuned[i].variant))
        << ", \"us\": " << json_number(tuned[i].microseconds) << "}";
    }
    f << (tuned.empty() ? "" : "\n  ") << "]\n}\n";
    const std::string text = f.str();
    if (json_file) {
      *json_file << text;
      json_file->flush();
      GPUNN_CHECK(json_file->good(), "time: writing \"", o.json, "\" failed");
    }
    // Newlines are only between fields (strings escape theirs): one line without them.
    std::string line;
    for (char c : text)
      if (c != '\n') line += c;
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

// ---- the `device` command -----------------------------------------------------------------------

int run_device(bool json) {
  if (json) {
    // gpunn::cuda::devices_json() with the build's description in front.
    const std::string devices = cuda::devices_json();
    std::cout << "{\"build_info\": " << json_escape(build_info()) << ", " << devices.substr(1)
              << "\n";
    return 0;
  }
  std::cout << build_info() << "\n";
  std::cout << "cpu: " << device_name(kCPU) << "\n";
  const int n = cuda::is_available() ? cuda::device_count() : 0;
  std::cout << "CUDA devices: " << n << "\n";
  for (int i = 0; i < n; ++i) {
    const cuda::DeviceProperties p = cuda::device_properties(i);
    std::printf(
        "cuda:%d  %s, compute capability %d.%d, %d SMs, %.1f GiB (%.1f GiB free), %d-bit bus, "
        "%.0f MHz, L2 %.0f MiB, driver %d, runtime %d, cuBLAS %d, cuDNN %d\n",
        i, p.name.c_str(), p.compute_capability_major, p.compute_capability_minor,
        p.multiprocessors, static_cast<double>(p.total_memory_bytes) / (1 << 30),
        static_cast<double>(p.free_memory_bytes) / (1 << 30), p.memory_bus_width_bits,
        p.clock_khz / 1000.0, static_cast<double>(p.l2_cache_bytes) / (1 << 20), p.driver_version,
        p.runtime_version, p.cublas_version, p.cudnn_version);
  }
  return 0;
}

struct EstimateCliOptions {
  std::string model;
  int64_t batch = 0;  // 0: the model's default
  std::string device = "cpu";
  std::string precision = "fp32";
  std::string optimizer = "momentum";
  bool measure = false;
};

// Two real training steps (the second with the optimizer's state in place, as the
// estimate's): the peak bytes held by tensors beyond what was held before the model.
int64_t measure_peak(const EstimateCliOptions& o, Device device, const Shape& in_shape) {
  const int64_t base = memory_stats(device).allocated_bytes;
  manual_seed(0);
  ModelSpec m = make_model(o.model);
  m.net->to(device);
  std::unique_ptr<optim::Optimizer> opt;
  if (o.optimizer == "sgd" || o.optimizer == "momentum") {
    opt = std::make_unique<optim::SGD>(
        m.net->parameters(), optim::SGDOptions{.momentum = o.optimizer == "momentum" ? 0.9 : 0.0});
  } else if (o.optimizer == "adam") {
    opt = std::make_unique<optim::Adam>(m.net->parameters(), optim::AdamOptions{});
  }
  int64_t peak = 0;
  for (int step = 0; step < 2; ++step) {
    reset_peak_memory_stats(device);
    {
      Tensor loss;
      {
        autocast::Guard amp(cli::autocast_dtype(o.precision), cli::uses_autocast(o.precision));
        const Tensor x = zeros(in_shape, TensorOptions(kFloat32).device(device));
        const Tensor y = zeros({in_shape[0]}, TensorOptions(kInt64).device(device));
        loss = cross_entropy((*m.net)(x), y);
      }
      loss.backward();
    }
    if (opt) opt->step();
    m.net->zero_grad();
    if (device.is_cuda()) cuda::synchronize(device.index);
    peak = memory_stats(device).peak_allocated_bytes - base;
  }
  return peak;
}

int run_estimate(const EstimateCliOptions& o) {
  const Device device = Device::parse(o.device);
  GPUNN_CHECK(!device.is_meta(), "estimate: --device must be cpu or cuda[:i], got meta");
  manual_seed(0);
  ModelSpec m = make_model(o.model);
  const int64_t batch = o.batch > 0 ? o.batch : m.default_batch;
  Shape in_shape = m.input;
  in_shape.insert(in_shape.begin(), batch);
  const memory::MemoryEstimate e = memory::estimate(
      *m.net, in_shape, {.device = device, .precision = o.precision, .optimizer = o.optimizer});
  std::cout << m.description << ", batch " << batch << "\n" << e;
  int64_t measured = -1;
  if (o.measure) {
    resolve_device(o.device);  // refuses a CUDA device that is not there, naming it
    cli::apply_precision(o.precision);
    measured = measure_peak(o, device, in_shape);
    std::cout << "measured peak: " << std::fixed << std::setprecision(2)
              << static_cast<double>(measured) / (1 << 20)
              << " MiB (estimate / measured = " << std::setprecision(3)
              << static_cast<double>(e.peak) / static_cast<double>(std::max<int64_t>(measured, 1))
              << ")\n";
  }
  std::cout << "{\"tool\": \"gpunn estimate\", \"model\": " << json_escape(m.name)
            << ", \"batch\": " << batch << ", \"device\": " << json_escape(device.str())
            << ", \"precision\": " << json_escape(o.precision)
            << ", \"optimizer\": " << json_escape(o.optimizer)
            << ", \"parameters\": " << e.parameters << ", \"gradients\": " << e.gradients
            << ", \"optimizer_state\": " << e.optimizer_state
            << ", \"activations\": " << e.activations << ", \"peak\": " << e.peak;
  if (measured >= 0) std::cout << ", \"measured_peak\": " << measured;
  std::cout << "}" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gpunn: device query and per-layer timing of gpunn's models"};
  app.require_subcommand(1);

  bool json = false;
  CLI::App* device = app.add_subcommand("device", "list the CUDA devices and this build");
  device->add_flag("--json", json, "print one JSON object (gpunn::cuda::devices_json)");

  TimeOptions t;
  CLI::App* time = app.add_subcommand(
      "time", "time a model layer by layer (forward, backward) and whole training iterations");
  time->add_option("model", t.model, "alexnet, mlp (spiral 2-100-3), lenet or cnn (Fashion-MNIST)")
      ->required();
  time->add_option("--batch", t.batch,
                   "batch size (default: alexnet 128, mlp 300, lenet and cnn 64)")
      ->check(gpunn::cli::positive);
  time->add_option("--device", t.device, "auto (CUDA when usable), cpu, cuda or cuda:i");
  time->add_option("--impl", t.impl,
                   "custom|vendor|auto, or a list with FAMILY=IMPL items, e.g. vendor,gemm=custom");
  cli::add_precision_option(*time, t.precision);
  time->add_option("--iters", t.iters, "timed iterations (medians are reported)")
      ->check(gpunn::cli::positive);
  time->add_option("--warmup", t.warmup, "untimed iterations first")
      ->check(gpunn::cli::non_negative);
  cli::add_profile_option(*time, t.profile);
  time->add_option("--json", t.json, "also write the results to this JSON file");

  EstimateCliOptions es;
  CLI::App* estimate = app.add_subcommand(
      "estimate", "the memory a training step will take (a step on meta tensors), before any data");
  estimate
      ->add_option("model", es.model, "alexnet, mlp (spiral 2-100-3), lenet or cnn (Fashion-MNIST)")
      ->required();
  estimate
      ->add_option("--batch", es.batch,
                   "batch size (default: alexnet 128, mlp 300, lenet and cnn 64)")
      ->check(gpunn::cli::positive);
  estimate
      ->add_option(
          "--device", es.device,
          "the device whose allocator is modelled: cpu, cuda or cuda:i (need not be present)")
      ->capture_default_str();
  cli::add_precision_option(*estimate, es.precision);
  estimate->add_option("--optimizer", es.optimizer, "sgd, momentum, adam or none")
      ->check(CLI::IsMember({"sgd", "momentum", "adam", "none"}))
      ->capture_default_str();
  estimate->add_flag("--measure", es.measure,
                     "also run two real steps on the device and print the measured peak");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*device) return run_device(json);
    if (*estimate) return run_estimate(es);
    return run_time(t);
  } catch (const std::exception& e) {
    std::cerr << "gpunn: " << e.what() << "\n";
    return 1;
  }
}
