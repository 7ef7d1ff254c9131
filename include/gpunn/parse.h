// In-memory forms of the file readers: the same checks and the same errors as
// reading a file, on its content already in memory (a network buffer, an
// archive member, a fuzzer's input). `name` stands for the file in messages.
// Include this header directly (the umbrella gpunn/gpunn.h leaves it out);
// io::parse_safetensors is in gpunn/io/safetensors.h.
#pragma once

#include <gpunn/data/dataset.h>
#include <gpunn/io/checkpoint.h>
#include <gpunn/tensor.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace gpunn::data {

// data::read_idx on a file's content: plain IDX bytes, or gzip data (which is
// decompressed first; a `name` ending in ".gz" must hold gzip data).
Tensor parse_idx(const std::string& bytes, DType dtype = kFloat32, double scale = 1.0,
                 const std::string& name = "<memory>");

// data::read_cifar10_batch on a batch file's content (plain or gzip data).
TensorDataset parse_cifar10_batch(const std::string& bytes, const std::string& name = "<memory>");

}  // namespace gpunn::data

namespace gpunn::io {

// io::load_checkpoint on a checkpoint file's bytes.
Checkpoint parse_checkpoint(const uint8_t* data, size_t size, const std::string& name = "<memory>");

}  // namespace gpunn::io
