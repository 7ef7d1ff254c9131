// CUDA elementwise math (kernels/elementwise.h): grid-stride loops over
// the same formulas as the CPU reference (kernels/elementwise_math.h). Binary
// ops with both operands laid out like the output skip the stride arithmetic.
#include "kernels/cuda/launch.cuh"
#include "kernels/elementwise.h"
#include "kernels/elementwise_math.h"

namespace gpunn::kernels {
namespace {

using cuda_detail::grid_for;
using cuda_detail::kThreads;

#define GPUNN_GRID_STRIDE(i, n)                                             \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

template <typename T>
__global__ void unary_forward_kernel(UnaryOp op, T* __restrict__ y, const T* __restrict__ x,
                                     int64_t n, T a, T b) {
  GPUNN_GRID_STRIDE(i, n) { y[i] = math::unary_value(op, x[i], a, b); }
}

template <typename T>
__global__ void unary_backward_kernel(UnaryOp op, T* __restrict__ dx, const T* __restrict__ dy,
                                      const T* x, const T* y, int64_t n, T a, T b) {
  GPUNN_GRID_STRIDE(i, n) {
    const T xi = x ? x[i] : T(0), yi = y ? y[i] : T(0);
    dx[i] = dy[i] * math::unary_derivative(op, xi, yi, a, b);
  }
}

template <typename T, bool kContiguous>
__global__ void binary_forward_kernel(BinaryOp op, T* __restrict__ z, const T* a, const T* b,
                                      StridedPair ix, int64_t n) {
  GPUNN_GRID_STRIDE(i, n) {
    int64_t oa = i, ob = i;
    if (!kContiguous) cuda_detail::strided_offsets(ix, i, &oa, &ob);
    z[i] = math::binary_value(op, a[oa], b[ob]);
  }
}

template <typename T, bool kContiguous>
__global__ void binary_backward_kernel(BinaryOp op, T* da, T* db, const T* __restrict__ dz,
                                       const T* a, const T* b, const T* z, StridedPair ix,
                                       int64_t n) {
  GPUNN_GRID_STRIDE(i, n) {
    int64_t oa = i, ob = i;
    if (!kContiguous) cuda_detail::strided_offsets(ix, i, &oa, &ob);
    T pa = T(0), pb = T(0);
    math::binary_partials(op, a[oa], b[ob], z ? z[i] : T(0), &pa, &pb);
    if (da) da[i] = dz[i] * pa;
    if (db) db[i] = dz[i] * pb;
  }
}

template <typename T>
void unary_forward_launch(UnaryOp op, T* y, const T* x, int64_t n, double a, double b,
                          cudaStream_t stream) {
  if (n == 0) return;
  unary_forward_kernel<<<grid_for(n), kThreads, 0, stream>>>(op, y, x, n, static_cast<T>(a),
                                                             static_cast<T>(b));
}

template <typename T>
void unary_backward_launch(UnaryOp op, T* dx, const T* dy, const T* x, const T* y, int64_t n,
                           double a, double b, cudaStream_t stream) {
  if (n == 0) return;
  unary_backward_kernel<<<grid_for(n), kThreads, 0, stream>>>(op, dx, dy, x, y, n,
                                                              static_cast<T>(a), static_cast<T>(b));
}

template <typename T>
void binary_forward_launch(BinaryOp op, T* z, const T* a, const T* b, const StridedPair& ix,
                           int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  if (cuda_detail::both_contiguous(ix)) {
    binary_forward_kernel<T, true><<<grid_for(n), kThreads, 0, stream>>>(op, z, a, b, ix, n);
  } else {
    binary_forward_kernel<T, false><<<grid_for(n), kThreads, 0, stream>>>(op, z, a, b, ix, n);
  }
}

template <typename T>
void binary_backward_launch(BinaryOp op, T* da, T* db, const T* dz, const T* a, const T* b,
                            const T* z, const StridedPair& ix, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  if (cuda_detail::both_contiguous(ix)) {
    binary_backward_kernel<T, true>
        <<<grid_for(n), kThreads, 0, stream>>>(op, da, db, dz, a, b, z, ix, n);
  } else {
    binary_backward_kernel<T, false>
        <<<grid_for(n), kThreads, 0, stream>>>(op, da, db, dz, a, b, z, ix, n);
  }
}

}  // namespace

template <typename T>
void unary_forward_cuda(const UnaryArgs& a, const Context& ctx) {
  unary_forward_launch(a.op, static_cast<T*>(a.y), static_cast<const T*>(a.x), a.n, a.a, a.b,
                       ctx.stream);
}

template <typename T>
void unary_backward_cuda(const UnaryBackwardArgs& a, const Context& ctx) {
  unary_backward_launch(a.op, static_cast<T*>(a.dx), static_cast<const T*>(a.dy),
                        static_cast<const T*>(a.x), static_cast<const T*>(a.y), a.n, a.a, a.b,
                        ctx.stream);
}

template <typename T>
void binary_forward_cuda(const BinaryArgs& a, const Context& ctx) {
  binary_forward_launch(a.op, static_cast<T*>(a.z), static_cast<const T*>(a.a),
                        static_cast<const T*>(a.b), a.ix, a.n, ctx.stream);
}

template <typename T>
void binary_backward_cuda(const BinaryBackwardArgs& a, const Context& ctx) {
  binary_backward_launch(a.op, static_cast<T*>(a.da), static_cast<T*>(a.db),
                         static_cast<const T*>(a.dz), static_cast<const T*>(a.a),
                         static_cast<const T*>(a.b), static_cast<const T*>(a.z), a.ix, a.n,
                         ctx.stream);
}

#define GPUNN_INSTANTIATE(T)                                                      \
  template void unary_forward_cuda<T>(const UnaryArgs&, const Context&);          \
  template void unary_backward_cuda<T>(const UnaryBackwardArgs&, const Context&); \
  template void binary_forward_cuda<T>(const BinaryArgs&, const Context&);        \
  template void binary_backward_cuda<T>(const BinaryBackwardArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
