// CUDA copy and fill (kernels/copy.h): grid-stride loops, with a
// contiguous fast path that skips the stride arithmetic.
#include "kernels/copy.h"
#include "kernels/copy_math.h"
#include "kernels/cuda/launch.cuh"

namespace gpunn::kernels {
namespace {

using cuda_detail::grid_for;
using cuda_detail::kThreads;

template <typename To, typename From>
__global__ void copy_contiguous_kernel(To* __restrict__ dst, const From* __restrict__ src,
                                       int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    dst[i] = math::convert<To>(src[i]);
}

template <typename To, typename From>
__global__ void copy_strided_kernel(To* dst, const From* src, StridedPair ix, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    int64_t oa, ob;
    cuda_detail::strided_offsets(ix, i, &oa, &ob);
    dst[oa] = math::convert<To>(src[ob]);
  }
}

template <typename T>
__global__ void fill_kernel(T* dst, T value, StridedPair ix, int64_t n, bool contiguous) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    int64_t oa = i, ob;
    if (!contiguous) cuda_detail::strided_offsets(ix, i, &oa, &ob);
    dst[oa] = value;
  }
}

template <typename To, typename From>
void copy_launch(To* dst, const From* src, const StridedPair& ix, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  if (cuda_detail::both_contiguous(ix)) {
    copy_contiguous_kernel<<<grid_for(n), kThreads, 0, stream>>>(dst, src, n);
  } else {
    copy_strided_kernel<<<grid_for(n), kThreads, 0, stream>>>(dst, src, ix, n);
  }
}

}  // namespace

template <typename To>
void copy_cuda(const CopyArgs& a, const Context& ctx) {
  To* dst = static_cast<To*>(a.dst);
  switch (a.src_dtype) {
    case DType::Float32:
      return copy_launch(dst, static_cast<const float*>(a.src), a.ix, a.n, ctx.stream);
    case DType::Float64:
      return copy_launch(dst, static_cast<const double*>(a.src), a.ix, a.n, ctx.stream);
    case DType::Int64:
      return copy_launch(dst, static_cast<const int64_t*>(a.src), a.ix, a.n, ctx.stream);
    case DType::BFloat16:
      return copy_launch(dst, static_cast<const BFloat16*>(a.src), a.ix, a.n, ctx.stream);
    case DType::Float16:
      return copy_launch(dst, static_cast<const Half*>(a.src), a.ix, a.n, ctx.stream);
  }
}

template <typename T>
void fill_cuda(const FillArgs& a, const Context& ctx) {
  if (a.n == 0) return;
  fill_kernel<<<grid_for(a.n), kThreads, 0, ctx.stream>>>(static_cast<T*>(a.dst),
                                                          static_cast<T>(a.value), a.ix, a.n,
                                                          cuda_detail::both_contiguous(a.ix));
}

#define GPUNN_INSTANTIATE(T)                                   \
  template void copy_cuda<T>(const CopyArgs&, const Context&); \
  template void fill_cuda<T>(const FillArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(int64_t)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
