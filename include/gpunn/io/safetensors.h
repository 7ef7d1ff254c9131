// Reading and writing state dicts in the safetensors format, so that weights
// move between gpunn and PyTorch / Hugging Face tools without Python here.
//
// File layout (all integers little-endian):
//   bytes [0, 8)        N, the header length, an unsigned 64-bit integer
//   bytes [8, 8 + N)    a UTF-8 JSON object: for each tensor
//                         "name": {"dtype": "F32", "shape": [2, 3],
//                                  "data_offsets": [begin, end]}
//                       and optionally "__metadata__": {"key": "value", ...}
//                       (string values only); may end in spaces (padding)
//   bytes [8 + N, end)  the byte buffer: each tensor's elements, row-major,
//                       little-endian, at [begin, end) relative to the buffer
//
// Writing: float32 ("F32"), float64 ("F64"), bfloat16 ("BF16"), float16 ("F16") and
// int64 ("I64") tensors; views
// are written as their contiguous values. Tensors are laid out by element size
// (largest first) so every tensor starts 8-byte aligned; the header keeps the
// state dict's order and is padded with spaces to a multiple of 8. Saving is
// atomic: the bytes go to a temporary file in the target's directory, which is
// fsynced and renamed over the target, then the directory is fsynced. If
// anything fails, the temporary file is removed, the previous file at `path` is
// left untouched, and gpunn::Error says what failed.
//
// Reading validates everything before trusting it and throws gpunn::Error
// naming the file and the problem: header length at most 100,000,000 bytes and
// within the file; strict JSON (no duplicate keys, nesting limited); every entry
// an object with exactly dtype, shape and data_offsets; shapes of at most 16
// non-negative dims whose element count does not overflow; end - begin equal to
// numel × element size; tensors neither overlapping nor leaving gaps, and
// together covering the byte buffer exactly (no trailing bytes).
// dtypes read: F32, F64, BF16, F16, I64 as is (PyTorch's bf16 and half tensors load as
// gpunn's bfloat16 and float16; Module::load_state_dict converts them to the module's
// dtype); I32,
// I16, I8, U8, U16, U32 and BOOL are widened to int64 (BOOL bytes must be 0 or
// 1); U64 is read as int64 when every value fits. F8 types are rejected with a
// message naming them.
#pragma once

#include <gpunn/export.h>
#include <gpunn/state_dict.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::io {

struct SafetensorsFile {
  StateDict tensors;  // in the header's order
  std::map<std::string, std::string> metadata;
};

// Writes `tensors` (CPU tensors of any dtype; names non-empty,
// valid UTF-8 and not "__metadata__") and `metadata` to `path`, atomically.
void save_safetensors(const std::string& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// The same bytes, in memory.
std::vector<uint8_t> serialize_safetensors(const StateDict& tensors,
                                           const std::map<std::string, std::string>& metadata = {});

// Reads and validates a file. Tensors are new CPU tensors owning their memory.
SafetensorsFile load_safetensors(const std::string& path);

// Parses a safetensors image in memory; `name_for_errors` stands for the file
// in messages.
SafetensorsFile parse_safetensors(const uint8_t* data, size_t size,
                                  const std::string& name_for_errors = "<memory>");

}  // namespace gpunn::io

GPUNN_API_END
