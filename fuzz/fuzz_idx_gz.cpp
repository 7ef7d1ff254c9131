// Fuzzes the gzip path of the IDX reader: the name ends in ".gz", so every
// input must be gzip data, which is decompressed (zlib) and then parsed as IDX.
#include <gpunn/parse.h>

#include "fuzz/common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes = gpunn::fuzz::as_string(data, size);
  return gpunn::fuzz::run_one(
      [&] { gpunn::data::parse_idx(bytes, gpunn::kFloat32, 1.0 / 255, "in.idx.gz"); });
}
