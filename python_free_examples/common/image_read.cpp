// gpunn_example_common: read_image (example.h), on stb_image.
#include "common/example.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_HDR  // 8-bit pictures only
#include <stb/stb_image.h>

namespace gpunn::examples {

Image read_image(const std::string& path, int channels) {
  GPUNN_CHECK(channels == 1 || channels == 3, "read_image: channels must be 1 or 3, got ", channels,
              " for ", path);
  int w = 0, h = 0, n = 0;
  // Check the size from the header before decoding, so a hostile file cannot
  // make us allocate gigabytes.
  GPUNN_CHECK(stbi_info(path.c_str(), &w, &h, &n) != 0, "read_image: cannot read ", path, " (",
              stbi_failure_reason(), "); expected a PNG, JPEG, BMP, GIF, TGA or PNM file");
  constexpr int kMaxSide = 16384;
  GPUNN_CHECK(w > 0 && h > 0 && w <= kMaxSide && h <= kMaxSide, "read_image: ", path, " is ", w,
              "x", h, "; expected at most ", kMaxSide, " pixels a side");
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load(path.c_str(), &w, &h, &n, channels),
                                                   stbi_image_free);
  GPUNN_CHECK(pixels != nullptr, "read_image: cannot decode ", path, " (", stbi_failure_reason(),
              ")");
  Image im(w, h, channels);
  std::copy(pixels.get(), pixels.get() + im.pixels.size(), im.pixels.begin());
  return im;
}

}  // namespace gpunn::examples
