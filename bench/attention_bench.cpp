// attention_bench: scaled dot-product attention, forward and backward, at the shapes of a
// GPT-2-small layer (B = 8, H = 12, D = 64; T = 1024 and 4096), for
//   custom    gpunn's fused kernels (set_impl(Attention, Custom)): scores never stored
//   vendor    cuDNN's fused flash attention (set_impl(Attention, Vendor); bf16/f16 on CUDA,
//             in builds with the cudnn-frontend headers; skipped with a message where
//             another implementation would serve)
//   composed  matmul, softmax, matmul as public ops: the T×T matrix in memory
// with the time of one forward + backward (median of --iters, after --warmup) and the peak
// memory it took above its inputs. Before timing, each implementation's output is checked
// against the composed one. bench/reference/torch_attention.py is PyTorch's twin (its
// scaled_dot_product_attention, flash path where it applies); tools/gpu_check.sh runs both.
//
//   attention_bench [--device cuda|cpu] [--dtypes bf16,f16,f32] [--seq 1024,4096]
//                   [--batch 8] [--heads 12] [--head-dim 64] [--causal]
//                   [--iters 10] [--warmup 3] [--json FILE] [--smoke]
//
// One JSON object: {"rows": [{dtype, T, impl, ms, peak_mb, max_abs_diff}, ...]}.
#include <gpunn/gpunn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace gpunn;

struct Options {
  std::string device = "cuda";
  std::vector<std::string> dtypes{"bf16", "f16", "f32"};
  std::vector<int64_t> seq{1024, 4096};
  int64_t batch = 8, heads = 12, head_dim = 64;
  bool causal = false;
  int iters = 10, warmup = 3;
  std::string json;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

DType parse_dtype(const std::string& s) {
  if (s == "bf16") return kBFloat16;
  if (s == "f16") return kFloat16;
  if (s == "f32") return kFloat32;
  throw Error("attention_bench: --dtypes takes bf16, f16 and f32, got " + s);
}

Tensor composed(const Tensor& q, const Tensor& k, const Tensor& v, bool causal) {
  Tensor s = mul(matmul(q, k.transpose(2, 3)), 1.0 / std::sqrt(static_cast<double>(q.shape()[3])));
  if (causal) {
    const int64_t T = q.shape()[2];
    std::vector<double> c(static_cast<size_t>(T * T), 0.0);
    for (int64_t i = 0; i < T; ++i)
      for (int64_t j = i + 1; j < T; ++j) c[static_cast<size_t>(i * T + j)] = -INFINITY;
    s = add(s, tensor(c, {T, T}, TensorOptions(q.dtype()).device(q.device())));
  }
  return matmul(softmax(s, -1).to(q.dtype()), v);
}

struct Row {
  std::string dtype, impl;
  int64_t T;
  double ms, peak_mb, max_abs_diff;
};

void sync(Device d) {
  if (d.is_cuda()) cuda::synchronize(d.index);
}

int run(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw Error("attention_bench: " + a + " needs a value");
      return argv[++i];
    };
    if (a == "--device")
      o.device = value();
    else if (a == "--dtypes")
      o.dtypes = split(value());
    else if (a == "--seq") {
      o.seq.clear();
      for (const std::string& s : split(value())) o.seq.push_back(std::stoll(s));
    } else if (a == "--batch")
      o.batch = std::stoll(value());
    else if (a == "--heads")
      o.heads = std::stoll(value());
    else if (a == "--head-dim")
      o.head_dim = std::stoll(value());
    else if (a == "--causal")
      o.causal = true;
    else if (a == "--iters")
      o.iters = std::stoi(value());
    else if (a == "--warmup")
      o.warmup = std::stoi(value());
    else if (a == "--json")
      o.json = value();
    else if (a == "--smoke") {
      o.batch = 1, o.heads = 2, o.head_dim = 16, o.seq = {64}, o.iters = 2, o.warmup = 1;
      o.dtypes = {"f32", "bf16"};
    } else {
      std::cerr << "attention_bench: unknown argument " << a << "\n";
      return 2;
    }
  }
  const Device device = o.device == "cpu" ? kCPU : Device::cuda(0);
  if (device.is_cuda() && !cuda::is_available()) {
    std::cerr << "attention_bench: no usable CUDA device\n";
    return 77;
  }
  std::vector<Row> rows;
  for (const std::string& dts : o.dtypes) {
    const DType dt = parse_dtype(dts);
    for (int64_t T : o.seq) {
      Generator g(1);
      const Shape shape{o.batch, o.heads, T, o.head_dim};
      const TensorOptions to = TensorOptions(dt).device(device);
      Tensor q = rand(shape, to, &g).requires_grad_(true);
      Tensor k = rand(shape, to, &g).requires_grad_(true);
      Tensor v = rand(shape, to, &g).requires_grad_(true);
      const Tensor dout = rand(shape, to, &g);
      Tensor reference;
      for (const std::string impl : {"composed", "custom", "vendor"}) {
        set_impl(OpFamily::Attention, impl == "vendor" ? Impl::Vendor : Impl::Custom);
        auto step = [&]() {
          q.zero_grad(true);
          k.zero_grad(true);
          v.zero_grad(true);
          const Tensor y = impl == "composed"
                               ? composed(q, k, v, o.causal)
                               : scaled_dot_product_attention(q, k, v, {.causal = o.causal});
          y.backward(dout);
          return y.detach();
        };
        double diff = 0.0;
        try {
          LaunchTrace trace;
          const Tensor y = step();
          if (impl == "vendor" &&
              (trace.count("scaled_dot_product_attention", Implementation::CudaVendor) != 1 ||
               trace.count("scaled_dot_product_attention_backward", Implementation::CudaVendor) !=
                   1)) {
            std::cerr << "attention_bench: " << dts << " T " << T
                      << ": no vendor implementation serves this call here; no vendor row\n";
            continue;
          }
          if (impl == "composed") {
            reference = y.to(kFloat32);
          } else {
            diff = max(abs(sub(y.to(kFloat32), reference))).item();
          }
        } catch (const Error& e) {  // out of memory at the largest shapes
          std::cerr << "attention_bench: " << dts << " T " << T << " " << impl << ": " << e.what()
                    << "\n";
          continue;
        }
        for (int w = 0; w < o.warmup; ++w) step();
        sync(device);
        empty_cache(device);
        const int64_t base = memory_stats(device).allocated_bytes;
        reset_peak_memory_stats(device);
        std::vector<double> ms;
        for (int it = 0; it < o.iters; ++it) {
          const auto t0 = std::chrono::steady_clock::now();
          step();
          sync(device);
          ms.push_back(
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                  .count());
        }
        std::sort(ms.begin(), ms.end());
        const double peak =
            static_cast<double>(memory_stats(device).peak_allocated_bytes - base) / (1 << 20);
        rows.push_back({dts, impl, T, ms[ms.size() / 2], peak, diff});
        std::printf("%-5s T %-5lld %-9s %9.3f ms fwd+bwd  peak %9.1f MiB  max|diff| %.3g\n",
                    dts.c_str(), static_cast<long long>(T), impl.c_str(), ms[ms.size() / 2], peak,
                    diff);
        std::fflush(stdout);
      }
    }
  }
  std::ostringstream js;
  js << "{\"batch\": " << o.batch << ", \"heads\": " << o.heads << ", \"head_dim\": " << o.head_dim
     << ", \"causal\": " << (o.causal ? "true" : "false") << ", \"device\": \"" << device.str()
     << "\", \"rows\": [";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    js << (i ? ", " : "") << "{\"dtype\": \"" << r.dtype << "\", \"T\": " << r.T << ", \"impl\": \""
       << r.impl << "\", \"ms\": " << r.ms << ", \"peak_mb\": " << r.peak_mb
       << ", \"max_abs_diff\": " << r.max_abs_diff << "}";
  }
  js << "]}";
  std::cout << js.str() << std::endl;
  if (!o.json.empty()) std::ofstream(o.json) << js.str() << "\n";
  // A fused result far from the composed one is a failure, not a benchmark.
  for (const Row& r : rows) {
    const double tol = r.dtype == "f32" ? 1e-3 : 3e-2;
    if (r.impl != "composed" && !(r.max_abs_diff <= tol)) {
      std::cerr << "attention_bench: " << r.dtype << " T " << r.T << " " << r.impl
                << ": the fused output is off the composed one by " << r.max_abs_diff << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "attention_bench: " << e.what() << "\n";
    return 1;
  }
}
