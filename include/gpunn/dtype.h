// Element types and devices.
//
// Float32, Float64, BFloat16 and Float16 are the differentiable types (the 16-bit ones
// store values and compute in float32: gpunn/half.h); Int64 holds class indices,
// embedding indices and argmax results.
#pragma once

#include <gpunn/export.h>
#include <gpunn/half.h>

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>

GPUNN_API_BEGIN

namespace gpunn {

enum class DType : int8_t { Float32, Float64, Int64, BFloat16, Float16 };

constexpr DType kFloat32 = DType::Float32;
constexpr DType kFloat64 = DType::Float64;
constexpr DType kInt64 = DType::Int64;
constexpr DType kBFloat16 = DType::BFloat16;
constexpr DType kFloat16 = DType::Float16;
constexpr DType kHalf = DType::Float16;

size_t dtype_size(DType dtype);
// "float32", "float64", "int64", "bfloat16", "float16" (PyTorch's names).
const char* dtype_name(DType dtype);
// The inverse of dtype_name(), also accepting "half", "bf16", "fp16", "f16", "fp32",
// "f32", "fp64", "f64", "double" and "float"; throws gpunn::Error naming the choices.
DType parse_dtype(const std::string& text);
inline bool is_floating(DType dtype) { return dtype != DType::Int64; }
// bfloat16 and float16: stored in 16 bits, computed in float32.
inline bool is_reduced_float(DType dtype) {
  return dtype == DType::BFloat16 || dtype == DType::Float16;
}

template <typename T>
struct dtype_of;
template <>
struct dtype_of<float> {
  static constexpr DType value = DType::Float32;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = DType::Float64;
};
template <>
struct dtype_of<int64_t> {
  static constexpr DType value = DType::Int64;
};
template <>
struct dtype_of<BFloat16> {
  static constexpr DType value = DType::BFloat16;
};
template <>
struct dtype_of<Half> {
  static constexpr DType value = DType::Float16;
};

inline std::ostream& operator<<(std::ostream& os, DType dtype) { return os << dtype_name(dtype); }

enum class DeviceType : int8_t { CPU, CUDA, Meta };

// A device: the CPU, CUDA device `index`, or the meta device.
//
// Meta tensors have a shape, dtype and strides but no data: every op on them runs its
// checks and shape rules, records autograd as usual and runs no kernel, so a model can be
// checked (and its memory estimated, gpunn/memory.h) before any data exists or moves.
// Anything that would read their values (item, to_vector, printing values, a copy to
// another device, saving) is an error naming the op. Their bytes are counted by a
// simulated allocator: memory_stats(Device::meta()).
struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  static Device meta() { return {DeviceType::Meta, 0}; }
  // Parses "cpu", "cuda", "cuda:N" and "meta"; throws gpunn::Error otherwise.
  static Device parse(const std::string& text);

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool is_meta() const { return type == DeviceType::Meta; }
  std::string str() const;  // "cpu", "cuda:0" or "meta"

  friend bool operator==(const Device& a, const Device& b) {
    return a.type == b.type && (a.type != DeviceType::CUDA || a.index == b.index);
  }
  friend bool operator!=(const Device& a, const Device& b) { return !(a == b); }
};

inline const Device kCPU = Device::cpu();
inline const Device kMeta = Device::meta();

inline std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

}  // namespace gpunn

GPUNN_API_END
