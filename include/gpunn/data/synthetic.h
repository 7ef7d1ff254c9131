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

// Two interleaved half circles ("two moons"), N points each, evenly spaced in angle
// (θ_i = π i / (N - 1), or 0 when N is 1) with N(0, noise²) added to each coordinate:
//   moon 0: (cos θ_i, sin θ_i)              target 0
//   moon 1: (1 - cos θ_i, 1/2 - sin θ_i)    target 1
// Data [2N, 2] of `dtype` (float32 or float64), targets [2N] int64, moon by moon. Seeded
// like spiral: the same (N, seed, noise) gives the same points everywhere.
TensorDataset two_moons(int64_t points_per_moon, uint64_t seed, double noise = 0.1,
                        DType dtype = kFloat32);

}  // namespace gpunn::data

GPUNN_API_END
