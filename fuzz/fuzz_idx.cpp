// Fuzzes the IDX reader (gpunn::data::parse_idx) on uncompressed bytes, reading
// each input as float32 and as int64 (which rejects float IDX types).
#include <gpunn/parse.h>

#include "fuzz/common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes = gpunn::fuzz::as_string(data, size);
  gpunn::fuzz::run_one(
      [&] { gpunn::data::parse_idx(bytes, gpunn::kFloat32, 1.0 / 255, "in.idx"); });
  gpunn::fuzz::run_one([&] { gpunn::data::parse_idx(bytes, gpunn::kInt64, 1.0, "in.idx"); });
  return 0;
}
