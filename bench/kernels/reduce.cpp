// bench/kernels, reduce family: where CUB took over from hand-written CUDA, both sides
// in one run, so the table rows keep whichever is faster (kernels/cuda/reduce.cuh):
//
//   sum rows        cub::BlockReduce against warp shuffles ("custom-handwritten")
//   batch norm      the training forward (per-channel statistics, then the elements),
//                   cub::BlockReduce against warp shuffles
//   finite check    cub::DeviceReduce against a grid-stride kernel with atomicOr
//   total norm      cub::DeviceReduce (gradient clipping's Σ x², one launch) against
//                   the composed ops it replaced (to float64, abs, mul, sum: four
//                   launches and three temporaries)
//   embedding bwd   the deterministic backward: a stable cub::DeviceRadixSort of the
//                   indices and a sum per segment, against one thread per column
//                   walking every index; and the atomic (non-deterministic) kernel
//
// On the CPU only the reference loops run (and the composed ops), at small sizes.
#include "kernels/reduce.h"
#include "bench/kernels/harness.h"
#include "kernels/index.h"
#include "kernels/norm.h"
#if GPUNN_WITH_CUDA
#include "kernels/cuda/variants.h"
#endif

#include <cmath>
#include <limits>

namespace bench {

namespace k = gpunn::kernels;

namespace {

std::string dims(std::initializer_list<int64_t> d) {
  std::string s;
  for (int64_t v : d) s += (s.empty() ? "" : "x") + std::to_string(v);
  return s;
}

void sum_rows_case(int64_t rows, int64_t cols) {
  const size_t n = static_cast<size_t>(rows * cols);
  std::vector<float> hx = random_floats(n, 21), ref(static_cast<size_t>(rows));
  run_reference(k::sum_rows, k::SumArgs{gpunn::kFloat32, rows, cols, 1.0, hx.data(), ref.data()});
  const Tensor x = upload(hx), y = zeros(static_cast<size_t>(rows));
  const k::SumArgs args{gpunn::kFloat32, rows, cols, 1.0, x.data_ptr(), y.data_ptr()};
  std::vector<Impl> impls = implementations(k::sum_rows, args);
#if GPUNN_WITH_CUDA
  add_variant(impls, "custom-handwritten", &k::handwritten::sum_rows_cuda<float>, args);
#endif
  bandwidth_case("reduce", "sum rows " + dims({rows, cols}), static_cast<double>(n) * 4, y, ref,
                 impls);
}

void batch_norm_case(int64_t N, int64_t C, int64_t inner) {
  const size_t n = static_cast<size_t>(N * C * inner), c = static_cast<size_t>(C);
  const k::NormShape s{N, C, inner};
  std::vector<float> hx = random_floats(n, 22), hw = random_floats(c, 23),
                     hb = random_floats(c, 24);
  std::vector<float> ref(n), m(c), r(c);
  run_reference(k::batch_norm_training,
                k::BatchNormTrainingArgs{gpunn::kFloat32, s, 1e-5, hx.data(), hw.data(), hb.data(),
                                         ref.data(), m.data(), r.data(), nullptr});
  const Tensor x = upload(hx), w = upload(hw), b = upload(hb), y = zeros(n), mean = zeros(c),
               invstd = zeros(c);
  const k::BatchNormTrainingArgs args{gpunn::kFloat32,
                                      s,
                                      1e-5,
                                      x.data_ptr(),
                                      w.data_ptr(),
                                      b.data_ptr(),
                                      y.data_ptr(),
                                      mean.data_ptr(),
                                      invstd.data_ptr(),
                                      nullptr};
  std::vector<Impl> impls = implementations(k::batch_norm_training, args);
#if GPUNN_WITH_CUDA
  add_variant(impls, "custom-handwritten", &k::handwritten::batch_norm_training_cuda<float>, args);
#endif
  // x read twice for the statistics and once more with y written.
  bandwidth_case("reduce", "batch norm train " + dims({N, C, inner}), 4.0 * n * 4, y, ref, impls);
}

// A result that is not a float buffer: each implementation is run, `ok` judges it, then
// it is timed.
void judged_case(const std::string& name, double bytes, const std::vector<Impl>& impls,
                 const std::function<double(const Impl&)>& error) {
  for (const Impl& impl : impls) {
    Row r{"reduce", name, impl.name};
    impl.run();
    r.max_abs_err = error(impl);
    r.rel_err = r.max_abs_err;
    r.ok = r.max_abs_err <= impl.tol;
    r.ms = time_ms(impl.run);
    r.bytes = bytes;
    r.ceiling_gbs = bandwidth_ceiling_gbs();
    report(r);
  }
}

void nonfinite_case(int64_t n) {
  std::vector<float> hx = random_floats(static_cast<size_t>(n), 25);
  hx.back() = std::numeric_limits<float>::quiet_NaN();  // the whole input is read
  const Tensor x = upload(hx);
  const Tensor flags =
      gpunn::zeros({1}, gpunn::TensorOptions(gpunn::kInt64).device(options().device));
  const k::NonfiniteArgs args{gpunn::kFloat32, n, x.data_ptr(), flags.data<int64_t>()};
  std::vector<Impl> impls = implementations(k::nonfinite, args);
#if GPUNN_WITH_CUDA
  add_variant(impls, "custom-handwritten", &k::handwritten::nonfinite_cuda<float>, args);
#endif
  judged_case(
      "finite check " + std::to_string(n), static_cast<double>(n) * 4, impls,
      [&](const Impl&) { return flags.to(gpunn::kCPU).item<int64_t>() == k::kHasNan ? 0.0 : 1.0; });
}

void total_norm_case(int64_t n) {
  const std::vector<float> hx = random_floats(static_cast<size_t>(n), 26);
  double want = 0;
  for (float v : hx) want += static_cast<double>(v) * v;
  const Tensor x = upload(hx);
  const Tensor out =
      gpunn::zeros({1}, gpunn::TensorOptions(gpunn::kFloat64).device(options().device));
  const k::AbsPowSumArgs args{gpunn::kFloat32, n, 2.0, x.data_ptr(), out.data<double>()};
  std::vector<Impl> impls = implementations(k::abs_pow_sum, args);
  auto composed = std::make_shared<Tensor>();
  impls.push_back({"composed", kTolFp32,
                   [x, composed] {
                     const Tensor a = x.to(gpunn::kFloat64).abs();
                     *composed = a.mul(a).sum();
                   },
                   nullptr});
  judged_case("total norm (sum x^2) " + std::to_string(n), static_cast<double>(n) * 4, impls,
              [&](const Impl& impl) {
                const double got =
                    impl.name == "composed" ? composed->item() : out.to(gpunn::kCPU).item();
                return std::fabs(got - want) / want;
              });
}

void embedding_backward_case(int64_t n, int64_t rows, int64_t D) {
  std::vector<float> hdy = random_floats(static_cast<size_t>(n * D), 27);
  std::vector<int64_t> hidx(static_cast<size_t>(n));
  // A skewed choice of rows, as token ids are: many repeats of a few.
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t h = static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull;
    const double u = static_cast<double>(h >> 11) / 9007199254740992.0;
    hidx[static_cast<size_t>(i)] = static_cast<int64_t>(u * u * static_cast<double>(rows));
  }
  std::vector<float> ref(static_cast<size_t>(rows * D), 0.0f);
  run_reference(k::embedding_backward,
                k::EmbeddingBackwardArgs{gpunn::kFloat32, n, D, rows, -1, hdy.data(), hidx.data(),
                                         ref.data()});
  const Tensor dy = upload(hdy), dw = zeros(ref.size());
  const Tensor idx = gpunn::tensor_from(hidx, {n}).to(options().device);
  const k::EmbeddingBackwardArgs args{
      gpunn::kFloat32, n, D, rows, -1, dy.data_ptr(), idx.data<int64_t>(), dw.data_ptr()};
  const bool was = gpunn::deterministic();
  gpunn::set_deterministic(true);
  std::vector<Impl> impls = implementations(k::embedding_backward, args);
  gpunn::set_deterministic(was);
#if GPUNN_WITH_CUDA
  add_variant(impls, "custom-handwritten", &k::handwritten::embedding_backward_ordered_cuda<float>,
              args);
  if (on_cuda()) {
    gpunn::set_deterministic(false);
    for (Impl& impl : implementations(k::embedding_backward, args)) {
      impl.name += "-atomic";
      impls.push_back(std::move(impl));
    }
    gpunn::set_deterministic(was);
  }
#endif
  // The entries add into dweight: each run starts from zeros (the same cost for all).
  for (Impl& impl : impls) {
    impl.run = [dw = Tensor(dw), run = impl.run]() mutable {
      dw.zero_();
      run();
    };
  }
  bandwidth_case("reduce", "embedding bwd det " + dims({n, D}) + " rows " + std::to_string(rows),
                 2.0 * static_cast<double>(n * D) * 4, dw, ref, impls);
}

}  // namespace

void bench_reduce() {
  if (on_cuda()) {
    sum_rows_case(16384, 1000);
    sum_rows_case(64, 262144);
    batch_norm_case(32, 256, 28 * 28);
    nonfinite_case(int64_t{1} << 26);
    total_norm_case(int64_t{1} << 26);
    embedding_backward_case(32768, 50257, 768);
  } else {
    sum_rows_case(256, 1000);
    batch_norm_case(4, 16, 196);
    nonfinite_case(int64_t{1} << 16);
    total_norm_case(int64_t{1} << 16);
    embedding_backward_case(512, 1000, 64);
  }
}

}  // namespace bench
