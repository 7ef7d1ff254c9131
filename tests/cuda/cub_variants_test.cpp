// The CUB-based CUDA entries of the tables against the hand-written kernels they
// replaced (kernels/cuda/variants.h), called directly with the same arguments: block
// and warp reductions (sum_rows, softmax, batch norm), the device-wide finite check, and
// the deterministic embedding backward (sorted with CUB against the ordered kernel and
// the CPU loop, bit for bit). The op tests reach the table entries only; this keeps the
// benchmark's other side honest. Skipped without a GPU (GPUNN_STRICT_GPU=1 fails instead).
#include <gpunn/cuda.h>
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "kernels/cuda/variants.h"
#include "test_util.h"

namespace gpunn {
namespace {

namespace k = kernels;

const Device kCuda = Device::cuda(0);

// A context on device 0's stream with `bytes` of workspace (kept alive by `keep`).
k::Context context(size_t bytes, Tensor& keep, bool deterministic = false) {
  k::Context ctx;
  ctx.device = 0;
  ctx.stream = static_cast<CUstream_st*>(cuda::stream(0));
  ctx.settings.deterministic = deterministic;
  if (bytes > 0) {
    keep = empty({static_cast<int64_t>((bytes + 7) / 8)}, TensorOptions(kFloat64).device(kCuda));
    ctx.workspace = keep.data_ptr();
    ctx.workspace_bytes = bytes;
  }
  return ctx;
}

Tensor on_gpu(const Tensor& t) { return t.to(kFloat32).to(kCuda); }
Tensor nan_like(const Tensor& t) { return full(t.shape(), std::nan(""), t.options()); }

// Two float32 results of different summation trees (both in double) agree to rounding.
void expect_near(const Tensor& a, const Tensor& b, const char* what) {
  EXPECT_TRUE(test::tensors_near(a.to(kCPU), b.to(kCPU), 1e-6, 1e-6)) << what;
}

TEST(CudaCubVariants, SumRows) {
  GPUNN_REQUIRE_GPU();
  for (const auto& [rows, cols] :
       std::vector<std::pair<int64_t, int64_t>>{{37, 1000}, {3, 100000}, {1000, 3}, {5, 1}}) {
    const Tensor x = on_gpu(test::uniform({rows, cols}));
    Tensor cub = nan_like(x.sum({1})), own = nan_like(cub), keep;
    const k::Context ctx = context(0, keep);
    k::sum_rows.f32.cuda.run({kFloat32, rows, cols, 0.5, x.data_ptr(), cub.data_ptr()}, ctx);
    k::handwritten::sum_rows_cuda<float>({kFloat32, rows, cols, 0.5, x.data_ptr(), own.data_ptr()},
                                         ctx);
    expect_near(cub, own, "sum_rows");
    Tensor want = x.to(kCPU).sum({1});
    expect_near(cub, want.mul_(0.5), "sum_rows against the CPU");
  }
}

TEST(CudaCubVariants, SoftmaxForwardAndBackward) {
  GPUNN_REQUIRE_GPU();
  for (const int64_t C : {1000, 7, 33}) {
    for (const bool log : {false, true}) {
      const int64_t rows = 65;
      Tensor x = on_gpu(test::uniform({rows, C}));
      x.mul_(5.0);
      const Tensor dy = on_gpu(test::uniform({rows, C}));
      Tensor y1 = nan_like(x), y2 = nan_like(x), dx1 = nan_like(x), dx2 = nan_like(x), keep;
      const k::Context ctx = context(0, keep);
      k::softmax_forward.f32.cuda.run({kFloat32, rows, C, 1, log, x.data_ptr(), y1.data_ptr()},
                                      ctx);
      k::handwritten::softmax_forward_cuda<float>(
          {kFloat32, rows, C, 1, log, x.data_ptr(), y2.data_ptr()}, ctx);
      expect_near(y1, y2, "softmax forward");
      k::softmax_backward.f32.cuda.run(
          {kFloat32, rows, C, 1, log, dy.data_ptr(), y1.data_ptr(), dx1.data_ptr()}, ctx);
      k::handwritten::softmax_backward_cuda<float>(
          {kFloat32, rows, C, 1, log, dy.data_ptr(), y1.data_ptr(), dx2.data_ptr()}, ctx);
      expect_near(dx1, dx2, "softmax backward");
    }
  }
}

TEST(CudaCubVariants, BatchNormTrainingAndBackward) {
  GPUNN_REQUIRE_GPU();
  const k::NormShape s{.N = 6, .C = 5, .inner = 77};
  const Tensor x = on_gpu(test::uniform({6, 5, 77})), dy = on_gpu(test::uniform({6, 5, 77}));
  const Tensor w = on_gpu(test::uniform({5})), b = on_gpu(test::uniform({5}));
  struct Out {
    Tensor y, mean, invstd, var, dx, dw, db;
  };
  auto run = [&](bool handwritten) {
    Out o{nan_like(x), nan_like(w), nan_like(w), nan_like(w),
          nan_like(x), nan_like(w), nan_like(w)};
    Tensor keep;
    const k::Context ctx = context(2 * 5 * sizeof(double), keep);
    const k::BatchNormTrainingArgs fwd{kFloat32,
                                       s,
                                       1e-5,
                                       x.data_ptr(),
                                       w.data_ptr(),
                                       b.data_ptr(),
                                       o.y.data_ptr(),
                                       o.mean.data_ptr(),
                                       o.invstd.data_ptr(),
                                       o.var.data_ptr()};
    const k::BatchNormBackwardArgs bwd{kFloat32,
                                       s,
                                       true,
                                       dy.data_ptr(),
                                       x.data_ptr(),
                                       o.mean.data_ptr(),
                                       o.invstd.data_ptr(),
                                       w.data_ptr(),
                                       o.dx.data_ptr(),
                                       o.dw.data_ptr(),
                                       o.db.data_ptr()};
    if (handwritten) {
      k::handwritten::batch_norm_training_cuda<float>(fwd, ctx);
      k::handwritten::batch_norm_backward_cuda<float>(bwd, ctx);
    } else {
      k::batch_norm_training.f32.cuda.run(fwd, ctx);
      k::batch_norm_backward.f32.cuda.run(bwd, ctx);
    }
    return o;
  };
  const Out cub = run(false), own = run(true);
  expect_near(cub.y, own.y, "y");
  expect_near(cub.mean, own.mean, "mean");
  expect_near(cub.invstd, own.invstd, "invstd");
  expect_near(cub.var, own.var, "unbiased variance");
  expect_near(cub.dx, own.dx, "dx");
  expect_near(cub.dw, own.dw, "dw");
  expect_near(cub.db, own.db, "db");
}

TEST(CudaCubVariants, NonfiniteFlags) {
  GPUNN_REQUIRE_GPU();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const int64_t n = 100003;
  struct Case {
    std::vector<std::pair<int64_t, double>> put;
    int64_t want;
  };
  const std::vector<Case> cases{{{}, 0},
                                {{{n - 1, nan}}, k::kHasNan},
                                {{{0, -inf}}, k::kHasInf},
                                {{{77, inf}, {n - 1, nan}}, k::kHasNan | k::kHasInf}};
  for (const Case& c : cases) {
    std::vector<double> v(static_cast<size_t>(n), 1.5);
    for (const auto& [i, value] : c.put) v[static_cast<size_t>(i)] = value;
    const Tensor x = on_gpu(tensor(v, {n}));
    Tensor flags = full({2}, -1.0, TensorOptions(kInt64).device(kCuda));
    int64_t* f = flags.data<int64_t>();
    const k::NonfiniteArgs args{kFloat32, n, x.data_ptr(), f};
    Tensor keep;
    const k::Context probe = context(0, keep);
    const k::Context ctx = context(k::nonfinite.f32.cuda.workspace_bytes(args, probe), keep);
    k::nonfinite.f32.cuda.run(args, ctx);
    k::handwritten::nonfinite_cuda<float>({kFloat32, n, x.data_ptr(), f + 1}, ctx);
    EXPECT_EQ(flags.to(kCPU).to_vector<int64_t>(), (std::vector<int64_t>{c.want, c.want}));
  }
}

TEST(CudaCubVariants, DeterministicEmbeddingBackwardEqualsTheCpuBitwise) {
  GPUNN_REQUIRE_GPU();
  const int64_t rows = 17, D = 33, n = 5000, padding = 3;
  std::vector<double> idx_values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    idx_values[static_cast<size_t>(i)] = static_cast<double>((i * 7919) % rows);
  const Tensor idx = tensor(idx_values, {n}, kInt64);
  const Tensor dy = test::uniform({n, D}).to(kFloat32);
  auto args_for = [&](const Tensor& i, const Tensor& g, Tensor& dw) {
    return k::EmbeddingBackwardArgs{
        kFloat32, n, D, rows, padding, g.data_ptr(), i.data<int64_t>(), dw.data_ptr()};
  };
  // The CPU loop, from a non-zero start (the entries accumulate into dweight).
  const Tensor start = test::uniform({rows, D}).to(kFloat32);
  Tensor cpu = start.clone();
  k::embedding_backward.f32.cpu.run(args_for(idx, dy, cpu), k::Context{});

  const Tensor gi = idx.to(kCuda), gdy = dy.to(kCuda);
  Tensor sorted = start.to(kCuda), ordered = start.to(kCuda), keep;
  const k::EmbeddingBackwardArgs a = args_for(gi, gdy, sorted);
  const k::Context probe = context(0, keep, true);
  const k::Context ctx =
      context(k::embedding_backward.f32.cuda.workspace_bytes(a, probe), keep, true);
  k::embedding_backward.f32.cuda.run(a, ctx);
  k::handwritten::embedding_backward_ordered_cuda<float>(args_for(gi, gdy, ordered), ctx);
  const std::vector<float> want = cpu.to_vector<float>();
  EXPECT_EQ(sorted.to(kCPU).to_vector<float>(), want);
  EXPECT_EQ(ordered.to(kCPU).to_vector<float>(), want);
}

}  // namespace
}  // namespace gpunn
