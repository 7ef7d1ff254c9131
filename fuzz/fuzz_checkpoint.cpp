// Fuzzes the checkpoint loader (gpunn::io::parse_checkpoint): a safetensors
// file plus the gpunn.* metadata and the model./optimizer./scheduler. sections.
#include <gpunn/parse.h>

#include "fuzz/common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return gpunn::fuzz::run_one([&] { gpunn::io::parse_checkpoint(data, size, "in.ckpt"); });
}
