// bench/kernels, conv family: AlexNet's five convolutions (--conv-layers) at
// --conv-batch, forward, backward-data and backward-weights. Each implementation is
// checked at batch 2 against the reference loops in full, then timed at the batch.
// On the GPU, besides the library's entries ("custom": im2col + our GEMM; "vendor":
// cuDNN), "custom-implicit" is our implicit-GEMM variant (kernels/cuda/conv.cuh).
#include "kernels/conv.h"
#include "bench/kernels/harness.h"
#if GPUNN_WITH_CUDA
#include "kernels/cuda/conv.cuh"
#endif

namespace bench {
namespace {

namespace k = gpunn::kernels;

k::Conv2dShape conv_shape(int64_t N, int64_t C, int64_t H, int64_t K, int64_t R, int64_t stride,
                          int64_t pad) {
  k::Conv2dShape s;
  s.N = N, s.C = C, s.H = H, s.W = H, s.K = K, s.R = R, s.S = R;
  s.stride_h = s.stride_w = stride;
  s.pad_h = s.pad_w = pad;
  s.P = (H + 2 * pad - R) / stride + 1;
  s.Q = s.P;
  return s;
}

enum class Pass { Forward, BackwardData, BackwardWeights };
const char* pass_name(Pass p) {
  return p == Pass::Forward ? "fwd" : p == Pass::BackwardData ? "bwd-data" : "bwd-weights";
}

// The pass's implementations over x, w, y (y is dy for the backward passes; the pass
// writes y, x or w).
std::vector<Impl> impls(Pass pass, const k::Conv2dShape& s, void* x, void* w, void* y) {
  const gpunn::DType f32 = gpunn::kFloat32;
  const k::Conv2dForwardArgs fwd{f32, s, x, w, nullptr, y};
  const k::Conv2dBackwardDataArgs bwd_data{f32, s, y, w, x};
  const k::Conv2dBackwardWeightArgs bwd_weight{f32, s, y, x, w, nullptr};
  std::vector<Impl> out;
  switch (pass) {
    case Pass::Forward:
      out = implementations(k::conv2d_forward, fwd, true);
      break;
    case Pass::BackwardData:
      out = implementations(k::conv2d_backward_data, bwd_data, true);
      break;
    case Pass::BackwardWeights:
      out = implementations(k::conv2d_backward_weight, bwd_weight, true);
      break;
  }
#if GPUNN_WITH_CUDA
  if (k::conv2d_implicit_applies<float>(s)) {
    if (pass == Pass::Forward) {
      add_variant(out, "custom-implicit", k::conv2d_forward_implicit_cuda<float>, fwd,
                  k::conv2d_forward_implicit_workspace(s));
    } else if (pass == Pass::BackwardData) {
      add_variant(out, "custom-implicit", k::conv2d_backward_data_implicit_cuda<float>, bwd_data,
                  k::conv2d_backward_data_implicit_workspace(s));
    } else {
      add_variant(out, "custom-implicit", k::conv2d_backward_weight_implicit_cuda<float>,
                  bwd_weight, k::conv2d_backward_weight_implicit_workspace(s, sizeof(float)));
    }
  }
#endif
  return out;
}

}  // namespace

std::vector<std::pair<std::string, k::Conv2dShape>> alexnet_conv_shapes(int64_t N) {
  return {{"conv1 3->64 11x11/4", conv_shape(N, 3, 224, 64, 11, 4, 2)},
          {"conv2 64->192 5x5", conv_shape(N, 64, 27, 192, 5, 1, 2)},
          {"conv3 192->384 3x3", conv_shape(N, 192, 13, 384, 3, 1, 1)},
          {"conv4 384->256 3x3", conv_shape(N, 384, 13, 256, 3, 1, 1)},
          {"conv5 256->256 3x3", conv_shape(N, 256, 13, 256, 3, 1, 1)}};
}

void bench_conv() {
  const auto convs = alexnet_conv_shapes(options().conv_batch);
  for (int64_t layer : options().conv_layers) {
    if (layer < 1 || layer > 5) fail("--conv-layers: " + std::to_string(layer) + " is not in 1..5");
    const auto& [name, timed] = convs[static_cast<size_t>(layer - 1)];
    for (Pass pass : {Pass::Forward, Pass::BackwardData, Pass::BackwardWeights}) {
      // Check at batch 2 against the reference loops (on the host), then time at the batch.
      k::Conv2dShape cs = timed;
      cs.N = 2;
      const size_t nx = static_cast<size_t>(cs.N * cs.C * cs.H * cs.W);
      const size_t nw = static_cast<size_t>(cs.K * cs.C * cs.R * cs.S);
      const size_t ny = static_cast<size_t>(cs.N * cs.K * cs.P * cs.Q);
      std::vector<float> hx = random_floats(nx, 4), hw = random_floats(nw, 5),
                         hy = random_floats(ny, 6);
      std::vector<float> ref = pass == Pass::Forward        ? std::vector<float>(ny)
                               : pass == Pass::BackwardData ? std::vector<float>(nx)
                                                            : std::vector<float>(nw);
      if (pass == Pass::Forward) {
        run_reference(k::conv2d_forward, k::Conv2dForwardArgs{gpunn::kFloat32, cs, hx.data(),
                                                              hw.data(), nullptr, ref.data()});
      } else if (pass == Pass::BackwardData) {
        run_reference(
            k::conv2d_backward_data,
            k::Conv2dBackwardDataArgs{gpunn::kFloat32, cs, hy.data(), hw.data(), ref.data()});
      } else {
        run_reference(k::conv2d_backward_weight,
                      k::Conv2dBackwardWeightArgs{gpunn::kFloat32, cs, hy.data(), hx.data(),
                                                  ref.data(), nullptr});
      }
      const Tensor x = upload(hx), w = upload(hw), y = upload(hy);
      const Tensor& out = pass == Pass::Forward ? y : pass == Pass::BackwardData ? x : w;
      std::vector<Row> rows;
      for (const Impl& impl : impls(pass, cs, x.data_ptr(), w.data_ptr(), y.data_ptr())) {
        Row r{"conv", name + " " + pass_name(pass), impl.name};
        impl.run();
        check(r, download(out), ref, impl.tol);
        rows.push_back(r);
      }
      // Time at the full batch.
      const k::Conv2dShape& s = timed;
      const double flops = 2.0 * s.N * s.K * s.P * s.Q * s.C * s.R * s.S;
      const Tensor X = upload(random_floats(static_cast<size_t>(s.N * s.C * s.H * s.W), 7));
      const Tensor W = upload(hw);
      const Tensor Y = upload(random_floats(static_cast<size_t>(s.N * s.K * s.P * s.Q), 8));
      const std::vector<Impl> timed_impls =
          impls(pass, s, X.data_ptr(), W.data_ptr(), Y.data_ptr());
      for (size_t i = 0; i < timed_impls.size() && i < rows.size(); ++i) {
        Row r = rows[i];
        // The reference loops are slow: time them once.
        r.ms = time_ms(timed_impls[i].run, timed_impls[i].name == "reference" ? 1 : -1);
        r.flops = flops;
        report(r);
      }
    }
  }
}

}  // namespace bench
