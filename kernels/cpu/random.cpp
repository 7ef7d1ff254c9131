// Reference random loops (kernels/random.h): element i uses Philox block
// offset + i only, so results do not depend on how the loop is split.
#include "kernels/random.h"

#include "kernels/random_math.h"

namespace gpunn::kernels {

template <typename T>
void uniform_cpu(T* out, int64_t n, uint64_t seed, uint64_t offset, double low, double high) {
  for (int64_t i = 0; i < n; ++i) out[i] = math::uniform_at<T>(seed, offset, i, low, high);
}

template <typename T>
void normal_cpu(T* out, int64_t n, uint64_t seed, uint64_t offset, double mean, double stddev) {
  for (int64_t i = 0; i < n; ++i) out[i] = math::normal_at<T>(seed, offset, i, mean, stddev);
}

void randint_cpu(int64_t* out, int64_t n, uint64_t seed, uint64_t offset, int64_t low,
                 int64_t high) {
  for (int64_t i = 0; i < n; ++i) out[i] = math::randint_at(seed, offset, i, low, high);
}

template <typename T>
void bernoulli_mask_cpu(T* mask, int64_t n, uint64_t seed, uint64_t offset, double keep_prob,
                        double scale) {
  const T s = static_cast<T>(scale);
  for (int64_t i = 0; i < n; ++i)
    mask[i] = math::bernoulli_mask_at<T>(seed, offset, i, keep_prob, s);
}

template void uniform_cpu<float>(float*, int64_t, uint64_t, uint64_t, double, double);
template void uniform_cpu<double>(double*, int64_t, uint64_t, uint64_t, double, double);
template void normal_cpu<float>(float*, int64_t, uint64_t, uint64_t, double, double);
template void normal_cpu<double>(double*, int64_t, uint64_t, uint64_t, double, double);
template void bernoulli_mask_cpu<float>(float*, int64_t, uint64_t, uint64_t, double, double);
template void bernoulli_mask_cpu<double>(double*, int64_t, uint64_t, uint64_t, double, double);

}  // namespace gpunn::kernels
