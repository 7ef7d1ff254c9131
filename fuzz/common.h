// Shared by the fuzz targets: runs a reader on one input and lets only
// gpunn::Error (and its OutOfMemoryError) through as an expected outcome. Any
// other exception escapes LLVMFuzzerTestOneInput, and libFuzzer reports it as a
// crash, as it does every sanitizer finding.
#pragma once

#include <gpunn/error.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace gpunn::fuzz {

template <typename F>
int run_one(F&& reader) {
  try {
    reader();
  } catch (const gpunn::InternalError&) {
    throw;  // a bug in gpunn, never the input's fault
  } catch (const gpunn::Error&) {
    // The input was rejected with a message: what a corrupt file must get.
  }
  return 0;
}

inline std::string as_string(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace gpunn::fuzz
