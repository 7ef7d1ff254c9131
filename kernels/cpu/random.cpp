// Reference random loops (kernels/random.h): element i uses Philox block
// offset + i only, so results do not depend on how the loop is split.
#include "kernels/random.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "kernels/random_math.h"

namespace gpunn::kernels {

template <typename T>
void random_cpu(const RandomArgs& a, const Context&) {
  T* out = static_cast<T*>(a.out);
  if constexpr (std::is_same_v<T, int64_t>) {
    for (int64_t i = 0; i < a.n; ++i) out[i] = math::randint_at(a.seed, a.offset, i, a.low, a.high);
  } else {
    switch (a.dist) {
      case Distribution::Uniform:
        for (int64_t i = 0; i < a.n; ++i)
          out[i] = math::uniform_at<T>(a.seed, a.offset, i, a.a, a.b);
        return;
      case Distribution::Normal:
        for (int64_t i = 0; i < a.n; ++i)
          out[i] = math::normal_at<T>(a.seed, a.offset, i, a.a, a.b);
        return;
      case Distribution::Bernoulli: {
        const T scale = static_cast<T>(a.b);
        for (int64_t i = 0; i < a.n; ++i)
          out[i] = math::bernoulli_mask_at<T>(a.seed, a.offset, i, a.a, scale);
        return;
      }
    }
  }
}

bool random_integer_supported(const RandomArgs& a) { return a.dist == Distribution::Uniform; }

void randperm_cpu(const RandpermArgs& a, const Context&) {
  std::vector<uint64_t> keys(static_cast<size_t>(a.n));
  for (int64_t i = 0; i < a.n; ++i) {
    keys[static_cast<size_t>(i)] = math::sort_key_at(a.seed, a.offset, i);
    a.out[i] = i;
  }
  std::stable_sort(a.out, a.out + a.n, [&](int64_t x, int64_t y) {
    return keys[static_cast<size_t>(x)] < keys[static_cast<size_t>(y)];
  });
}

template void random_cpu<float>(const RandomArgs&, const Context&);
template void random_cpu<double>(const RandomArgs&, const Context&);
template void random_cpu<int64_t>(const RandomArgs&, const Context&);
template void random_cpu<BFloat16>(const RandomArgs&, const Context&);
template void random_cpu<Half>(const RandomArgs&, const Context&);

}  // namespace gpunn::kernels
