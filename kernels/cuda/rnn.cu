// CUDA LSTM cell (kernels/rnn.h): one thread per (n, j) output position, with the
// element formulas of kernels/rnn_math.h.
#include "kernels/cuda/launch.cuh"
#include "kernels/rnn.h"
#include "kernels/rnn_math.h"

namespace gpunn::kernels {
namespace {

using cuda_detail::grid_for;
using cuda_detail::kThreads;

#define GPUNN_GRID_STRIDE(i, n)                                             \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

template <typename T>
__global__ void lstm_forward_kernel(T* out, const T* gates, const T* c_prev, int64_t N, int64_t H) {
  GPUNN_GRID_STRIDE(e, N * H) { math::lstm_forward_at(out, gates, c_prev, H, e / H, e % H); }
}

template <typename T>
__global__ void lstm_backward_kernel(T* dgates, T* dc_prev, const T* dout, const T* gates,
                                     const T* c_prev, int64_t N, int64_t H) {
  GPUNN_GRID_STRIDE(e, N * H) {
    math::lstm_backward_at(dgates, dc_prev, dout, gates, c_prev, H, e / H, e % H);
  }
}

template <typename T>
__global__ void lstm_jvp_kernel(T* tout, const T* tgates, const T* tc_prev, const T* gates,
                                const T* c_prev, int64_t N, int64_t H) {
  GPUNN_GRID_STRIDE(e, N * H) {
    math::lstm_jvp_at(tout, tgates, tc_prev, gates, c_prev, H, e / H, e % H);
  }
}

#undef GPUNN_GRID_STRIDE

}  // namespace

template <typename T>
void lstm_cell_forward_cuda(const LstmCellArgs& a, const Context& ctx) {
  const int64_t n = a.N * a.H;
  if (n == 0) return;
  lstm_forward_kernel<<<grid_for(n), kThreads, 0, ctx.stream>>>(
      static_cast<T*>(a.out), static_cast<const T*>(a.gates), static_cast<const T*>(a.c_prev), a.N,
      a.H);
}

template <typename T>
void lstm_cell_backward_cuda(const LstmCellBackwardArgs& a, const Context& ctx) {
  const int64_t n = a.N * a.H;
  if (n == 0) return;
  lstm_backward_kernel<<<grid_for(n), kThreads, 0, ctx.stream>>>(
      static_cast<T*>(a.dgates), static_cast<T*>(a.dc_prev), static_cast<const T*>(a.dout),
      static_cast<const T*>(a.gates), static_cast<const T*>(a.c_prev), a.N, a.H);
}

template <typename T>
void lstm_cell_jvp_cuda(const LstmCellJvpArgs& a, const Context& ctx) {
  const int64_t n = a.N * a.H;
  if (n == 0) return;
  lstm_jvp_kernel<<<grid_for(n), kThreads, 0, ctx.stream>>>(
      static_cast<T*>(a.tout), static_cast<const T*>(a.tgates), static_cast<const T*>(a.tc_prev),
      static_cast<const T*>(a.gates), static_cast<const T*>(a.c_prev), a.N, a.H);
}

#define GPUNN_INSTANTIATE(T)                                                             \
  template void lstm_cell_forward_cuda<T>(const LstmCellArgs&, const Context&);          \
  template void lstm_cell_backward_cuda<T>(const LstmCellBackwardArgs&, const Context&); \
  template void lstm_cell_jvp_cuda<T>(const LstmCellJvpArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
