// Fuzzes the safetensors loader (gpunn::io::parse_safetensors): header length,
// JSON header, entries and the byte buffer.
#include <gpunn/io/safetensors.h>

#include "fuzz/common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return gpunn::fuzz::run_one([&] { gpunn::io::parse_safetensors(data, size, "in.safetensors"); });
}
