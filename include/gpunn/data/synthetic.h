// Synthetic data sets.
#pragma once

#include <gpunn/data/dataset.h>
#include <gpunn/export.h>

#include <cstdint>

GPUNN_API_BEGIN

namespace gpunn::data {

// The spiral data set of Stanford's CS231n notes ("Putting it together:
// minimal neural network case study"): K arms of N points each. For class k and
// point i (r_i = i / (N - 1), or 0 when N is 1):
//   theta_i = 4k + 4 i / (N - 1) + noise * z_i,   z_i ~ N(0, 1)
//   x_i = (r_i sin theta_i, r_i cos theta_i),      target k
// Data [K*N, 2] of `dtype` (float32 or float64), targets [K*N] int64, class by
// class. The same (K, N, seed, noise) gives the same points everywhere.
TensorDataset spiral(int64_t classes, int64_t points_per_class, uint64_t seed, double noise = 0.2,
                     DType dtype = kFloat32);

}  // namespace gpunn::data

GPUNN_API_END
