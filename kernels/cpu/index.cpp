// Reference loops for gather/scatter and embedding (kernels/index.h). Indices
// were validated by the caller.
#include "kernels/index.h"

#include <type_traits>
#include <vector>

namespace gpunn::kernels {

namespace {

// Runs add(acc) over dx's n values widened to compute_t<T>, then stores them back once:
// with the 16-bit types, gradients that meet at one row sum in float, not in 16 bits.
template <typename T, typename F>
void accumulate_widened(T* dx, int64_t n, F add) {
  using A = compute_t<T>;
  if constexpr (std::is_same_v<A, T>) {
    add(dx);
  } else {
    std::vector<A> acc(dx, dx + n);
    add(acc.data());
    for (int64_t i = 0; i < n; ++i) dx[i] = static_cast<T>(acc[static_cast<size_t>(i)]);
  }
}

template <typename T>
void gather_loops(T* y, const T* x, const int64_t* idx, int64_t outer, int64_t x_size,
                  int64_t y_size, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < y_size; ++j)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t at = (o * y_size + j) * inner + i;
        y[at] = x[(o * x_size + idx[at]) * inner + i];
      }
}

template <typename A, typename T>
void scatter_add_loops(A* dx, const T* dy, const int64_t* idx, int64_t outer, int64_t x_size,
                       int64_t y_size, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < y_size; ++j)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t at = (o * y_size + j) * inner + i;
        dx[(o * x_size + idx[at]) * inner + i] += static_cast<A>(dy[at]);
      }
}

template <typename T>
void index_select_loops(T* y, const T* x, const int64_t* idx, int64_t outer, int64_t x_size,
                        int64_t y_size, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < y_size; ++j) {
      const T* from = x + (o * x_size + idx[j]) * inner;
      T* to = y + (o * y_size + j) * inner;
      for (int64_t i = 0; i < inner; ++i) to[i] = from[i];
    }
}

template <typename A, typename T>
void index_add_loops(A* dx, const T* dy, const int64_t* idx, int64_t outer, int64_t x_size,
                     int64_t y_size, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < y_size; ++j) {
      const T* from = dy + (o * y_size + j) * inner;
      A* to = dx + (o * x_size + idx[j]) * inner;
      for (int64_t i = 0; i < inner; ++i) to[i] += static_cast<A>(from[i]);
    }
}

template <typename T>
void embedding_forward_loops(T* y, const T* weight, const int64_t* idx, int64_t n, int64_t D) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t d = 0; d < D; ++d) y[i * D + d] = weight[idx[i] * D + d];
}

template <typename A, typename T>
void embedding_backward_loops(A* dweight, const T* dy, const int64_t* idx, int64_t n, int64_t D,
                              int64_t padding_idx) {
  for (int64_t i = 0; i < n; ++i) {
    if (idx[i] == padding_idx) continue;
    for (int64_t d = 0; d < D; ++d) dweight[idx[i] * D + d] += static_cast<A>(dy[i * D + d]);
  }
}

}  // namespace

template <typename T>
void gather_cpu(const GatherArgs& a, const Context&) {
  gather_loops(static_cast<T*>(a.y), static_cast<const T*>(a.x), a.idx, a.outer, a.x_size, a.y_size,
               a.inner);
}

template <typename T>
void index_select_cpu(const IndexSelectArgs& a, const Context&) {
  index_select_loops(static_cast<T*>(a.y), static_cast<const T*>(a.x), a.idx, a.outer, a.x_size,
                     a.y_size, a.inner);
}

template <typename T>
void index_add_cpu(const IndexAddArgs& a, const Context&) {
  accumulate_widened(static_cast<T*>(a.dx), a.outer * a.x_size * a.inner, [&](auto* dx) {
    index_add_loops(dx, static_cast<const T*>(a.dy), a.idx, a.outer, a.x_size, a.y_size, a.inner);
  });
}

template <typename T>
void scatter_add_cpu(const ScatterAddArgs& a, const Context&) {
  accumulate_widened(static_cast<T*>(a.dx), a.outer * a.x_size * a.inner, [&](auto* dx) {
    scatter_add_loops(dx, static_cast<const T*>(a.dy), a.idx, a.outer, a.x_size, a.y_size, a.inner);
  });
}

template <typename T>
void embedding_forward_cpu(const EmbeddingArgs& a, const Context&) {
  embedding_forward_loops(static_cast<T*>(a.y), static_cast<const T*>(a.weight), a.idx, a.n, a.D);
}

template <typename T>
void embedding_backward_cpu(const EmbeddingBackwardArgs& a, const Context&) {
  accumulate_widened(static_cast<T*>(a.dweight), a.rows * a.D, [&](auto* dweight) {
    embedding_backward_loops(dweight, static_cast<const T*>(a.dy), a.idx, a.n, a.D, a.padding_idx);
  });
}

#define GPUNN_INSTANTIATE(T)                                                             \
  template void gather_cpu<T>(const GatherArgs&, const Context&);                        \
  template void scatter_add_cpu<T>(const ScatterAddArgs&, const Context&);               \
  template void embedding_forward_cpu<T>(const EmbeddingArgs&, const Context&);          \
  template void embedding_backward_cpu<T>(const EmbeddingBackwardArgs&, const Context&); \
  template void index_add_cpu<T>(const IndexAddArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE
template void index_select_cpu<float>(const IndexSelectArgs&, const Context&);
template void index_select_cpu<double>(const IndexSelectArgs&, const Context&);
template void index_select_cpu<int64_t>(const IndexSelectArgs&, const Context&);
template void index_select_cpu<BFloat16>(const IndexSelectArgs&, const Context&);
template void index_select_cpu<Half>(const IndexSelectArgs&, const Context&);

}  // namespace gpunn::kernels
