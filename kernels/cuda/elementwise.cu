// CUDA elementwise math (kernels/elementwise.h): grid-stride loops over
// the same formulas as the CPU reference (kernels/elementwise_math.h), computed in
// compute_t<T> and rounded once on store. Unary forward and binary forward with both
// operands laid out like the output are the contiguous maps of kernels/cuda/vector.cuh
// (8 values per 16-byte access for the 16-bit dtypes); the rest walk strides.
#include "kernels/cuda/vector.cuh"
#include "kernels/elementwise.h"
#include "kernels/elementwise_math.h"

namespace gpunn::kernels {
namespace {

using cuda_detail::grid_for;
using cuda_detail::kThreads;

#define GPUNN_GRID_STRIDE(i, n)                                             \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

template <typename A>
struct UnaryValue {
  UnaryOp op;
  A a, b;
  __device__ A operator()(A x) const { return math::unary_value(op, x, a, b); }
};

template <typename A>
struct BinaryValue {
  BinaryOp op;
  __device__ A operator()(A x, A y) const { return math::binary_value(op, x, y); }
};

template <typename T>
__global__ void unary_backward_kernel(UnaryOp op, T* __restrict__ dx, const T* __restrict__ dy,
                                      const T* x, const T* y, int64_t n, compute_t<T> a,
                                      compute_t<T> b) {
  using A = compute_t<T>;
  GPUNN_GRID_STRIDE(i, n) {
    const A xi = x ? static_cast<A>(x[i]) : A(0), yi = y ? static_cast<A>(y[i]) : A(0);
    dx[i] = static_cast<T>(static_cast<A>(dy[i]) * math::unary_derivative(op, xi, yi, a, b));
  }
}

template <typename T>
__global__ void binary_forward_strided_kernel(BinaryOp op, T* __restrict__ z, const T* a,
                                              const T* b, StridedPair ix, int64_t n) {
  using A = compute_t<T>;
  GPUNN_GRID_STRIDE(i, n) {
    int64_t oa, ob;
    cuda_detail::strided_offsets(ix, i, &oa, &ob);
    z[i] = static_cast<T>(math::binary_value(op, static_cast<A>(a[oa]), static_cast<A>(b[ob])));
  }
}

template <typename T, bool kContiguous>
__global__ void binary_backward_kernel(BinaryOp op, T* da, T* db, const T* __restrict__ dz,
                                       const T* a, const T* b, const T* z, StridedPair ix,
                                       int64_t n) {
  using A = compute_t<T>;
  GPUNN_GRID_STRIDE(i, n) {
    int64_t oa = i, ob = i;
    if (!kContiguous) cuda_detail::strided_offsets(ix, i, &oa, &ob);
    A pa = A(0), pb = A(0);
    math::binary_partials(op, static_cast<A>(a[oa]), static_cast<A>(b[ob]),
                          z ? static_cast<A>(z[i]) : A(0), &pa, &pb);
    const A g = static_cast<A>(dz[i]);
    if (da) da[i] = static_cast<T>(g * pa);
    if (db) db[i] = static_cast<T>(g * pb);
  }
}

template <typename T>
void unary_forward_launch(UnaryOp op, T* y, const T* x, int64_t n, double a, double b,
                          cudaStream_t stream) {
  using A = compute_t<T>;
  cuda_detail::map1(UnaryValue<A>{op, static_cast<A>(a), static_cast<A>(b)}, y, x, n, stream);
}

template <typename T>
void unary_backward_launch(UnaryOp op, T* dx, const T* dy, const T* x, const T* y, int64_t n,
                           double a, double b, cudaStream_t stream) {
  using A = compute_t<T>;
  if (n == 0) return;
  unary_backward_kernel<<<grid_for(n), kThreads, 0, stream>>>(op, dx, dy, x, y, n,
                                                              static_cast<A>(a), static_cast<A>(b));
}

template <typename T>
void binary_forward_launch(BinaryOp op, T* z, const T* a, const T* b, const StridedPair& ix,
                           int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  if (cuda_detail::both_contiguous(ix)) {
    cuda_detail::map2(BinaryValue<compute_t<T>>{op}, z, a, b, n, stream);
  } else {
    binary_forward_strided_kernel<<<grid_for(n), kThreads, 0, stream>>>(op, z, a, b, ix, n);
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
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
