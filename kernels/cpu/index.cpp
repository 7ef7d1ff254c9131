// Reference loops for gather/scatter and embedding (kernels/index.h). Indices
// were validated by the caller.
#include "kernels/index.h"

namespace gpunn::kernels {

template <typename T>
void gather_dim_cpu(T* y, const T* x, const int64_t* idx, int64_t outer, int64_t x_size,
                    int64_t y_size, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < y_size; ++j)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t at = (o * y_size + j) * inner + i;
        y[at] = x[(o * x_size + idx[at]) * inner + i];
      }
}

template <typename T>
void scatter_add_dim_cpu(T* dx, const T* dy, const int64_t* idx, int64_t outer, int64_t x_size,
                         int64_t y_size, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < y_size; ++j)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t at = (o * y_size + j) * inner + i;
        dx[(o * x_size + idx[at]) * inner + i] += dy[at];
      }
}

template <typename T>
void embedding_forward_cpu(T* y, const T* weight, const int64_t* idx, int64_t n, int64_t D) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t d = 0; d < D; ++d) y[i * D + d] = weight[idx[i] * D + d];
}

template <typename T>
void embedding_backward_cpu(T* dweight, const T* dy, const int64_t* idx, int64_t n, int64_t D,
                            int64_t padding_idx) {
  for (int64_t i = 0; i < n; ++i) {
    if (idx[i] == padding_idx) continue;
    for (int64_t d = 0; d < D; ++d) dweight[idx[i] * D + d] += dy[i * D + d];
  }
}

#define GPUNN_INSTANTIATE(T)                                                                    \
  template void gather_dim_cpu<T>(T*, const T*, const int64_t*, int64_t, int64_t, int64_t,      \
                                  int64_t);                                                     \
  template void scatter_add_dim_cpu<T>(T*, const T*, const int64_t*, int64_t, int64_t, int64_t, \
                                       int64_t);                                                \
  template void embedding_forward_cpu<T>(T*, const T*, const int64_t*, int64_t, int64_t);       \
  template void embedding_backward_cpu<T>(T*, const T*, const int64_t*, int64_t, int64_t, int64_t);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
