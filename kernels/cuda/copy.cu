// CUDA copy and fill (kernels/cuda/copy.cuh): grid-stride loops, with a
// contiguous fast path that skips the stride arithmetic.
#include "kernels/cuda/copy.cuh"
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
    dst[i] = static_cast<To>(src[i]);
}

template <typename To, typename From>
__global__ void copy_strided_kernel(To* dst, const From* src, StridedPair ix, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    int64_t oa, ob;
    cuda_detail::strided_offsets(ix, i, &oa, &ob);
    dst[oa] = static_cast<To>(src[ob]);
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

}  // namespace

template <typename To, typename From>
void copy_cuda(To* dst, const From* src, const StridedPair& ix, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  if (cuda_detail::both_contiguous(ix)) {
    copy_contiguous_kernel<<<grid_for(n), kThreads, 0, stream>>>(dst, src, n);
  } else {
    copy_strided_kernel<<<grid_for(n), kThreads, 0, stream>>>(dst, src, ix, n);
  }
}

template <typename T>
void fill_cuda(T* dst, T value, const StridedPair& ix, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  fill_kernel<<<grid_for(n), kThreads, 0, stream>>>(dst, value, ix, n,
                                                    cuda_detail::both_contiguous(ix));
}

#define GPUNN_INSTANTIATE_COPY(To, From) \
  template void copy_cuda<To, From>(To*, const From*, const StridedPair&, int64_t, cudaStream_t);
#define GPUNN_INSTANTIATE_FROM(To)    \
  GPUNN_INSTANTIATE_COPY(To, float)   \
  GPUNN_INSTANTIATE_COPY(To, double)  \
  GPUNN_INSTANTIATE_COPY(To, int64_t) \
  template void fill_cuda<To>(To*, To, const StridedPair&, int64_t, cudaStream_t);
GPUNN_INSTANTIATE_FROM(float)
GPUNN_INSTANTIATE_FROM(double)
GPUNN_INSTANTIATE_FROM(int64_t)
#undef GPUNN_INSTANTIATE_FROM
#undef GPUNN_INSTANTIATE_COPY

}  // namespace gpunn::kernels
