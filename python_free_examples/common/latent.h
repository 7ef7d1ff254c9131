// Latent-space pictures for the generative examples (gan and autoencoder, --latent-walk):
// interpolations between latent codes and arithmetic on class-mean codes, as in the DCGAN
// paper's figures (Radford, Metz & Chintala 2016), written as one PNG of rows and a caption
// file saying what each row is.
#pragma once

#include "common/example.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gpunn::examples {

// `steps` codes from a to b ([D] each), as [steps, D], the first exactly a and the last b.
// Linear: a + t·(b - a). Spherical (slerp): along the great circle between the directions
// of a and b with the norm interpolated linearly, which keeps codes drawn from N(0, I) at
// the norms the generator saw in training (a straight line passes nearer the origin).
Tensor interpolate_codes(const Tensor& a, const Tensor& b, int64_t steps, bool spherical);

// The mean code of each class: codes [N, D] and one label per row in [0, classes). A class
// with no row has count 0 and a mean of zeros.
struct ClassMeans {
  Tensor means;                 // [classes, D]
  std::vector<int64_t> counts;  // rows per class
};
ClassMeans class_means(const Tensor& codes, const std::vector<int64_t>& labels, int64_t classes);

// mean(z | a) - mean(z | b) + mean(z | c): class indices of Fashion-MNIST.
struct LatentSum {
  int64_t a, b, c;
};
// The sums the examples draw: Sneaker - Sandal + Ankle boot, Coat - Pullover + T-shirt/top,
// Ankle boot - Sneaker + Sandal.
const std::vector<LatentSum>& fashion_latent_sums();
// "Sneaker - Sandal + Ankle boot".
std::string describe(const LatentSum& sum, const std::vector<std::string>& names);

// One row of pictures: images [k, 784] (28x28 each) with values in [lo, hi].
struct PictureRow {
  std::string caption;
  Tensor images;
};
// The rows one under another (2x upscaled, a gap between images) into png_path, and
// "row i: caption" lines into caption_path. Throws gpunn::Error naming a path that
// cannot be written.
void write_rows(const std::string& png_path, const std::string& caption_path,
                const std::vector<PictureRow>& rows, double lo, double hi);

}  // namespace gpunn::examples
