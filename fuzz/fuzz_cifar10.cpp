// Fuzzes the CIFAR-10 batch reader (gpunn::data::parse_cifar10_batch), plain
// bytes or gzip data (the reader decompresses what starts with the gzip magic).
#include <gpunn/parse.h>

#include "fuzz/common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes = gpunn::fuzz::as_string(data, size);
  return gpunn::fuzz::run_one([&] { gpunn::data::parse_cifar10_batch(bytes, "in.bin"); });
}
