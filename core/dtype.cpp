// DType and Device helpers.
#include <gpunn/dtype.h>
#include <gpunn/error.h>

#include <cstdlib>

namespace gpunn {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::BFloat16:
    case DType::Float16:
      return 2;
    case DType::Float32:
      return 4;
    case DType::Float64:
    case DType::Int64:
      return 8;
  }
  GPUNN_ASSERT(false, "unknown dtype");
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return "float32";
    case DType::Float64:
      return "float64";
    case DType::Int64:
      return "int64";
    case DType::BFloat16:
      return "bfloat16";
    case DType::Float16:
      return "float16";
  }
  return "unknown";
}

DType parse_dtype(const std::string& text) {
  static const struct {
    const char* name;
    DType dtype;
  } kNames[] = {{"float32", kFloat32},   {"float", kFloat32},   {"fp32", kFloat32},
                {"f32", kFloat32},       {"float64", kFloat64}, {"double", kFloat64},
                {"fp64", kFloat64},      {"f64", kFloat64},     {"int64", kInt64},
                {"bfloat16", kBFloat16}, {"bf16", kBFloat16},   {"float16", kFloat16},
                {"half", kFloat16},      {"fp16", kFloat16},    {"f16", kFloat16}};
  for (const auto& n : kNames)
    if (text == n.name) return n.dtype;
  detail::throw_error("parse_dtype: unknown dtype \"", text,
                      "\" (expected float32, float64, int64, bfloat16 or float16)");
}

std::string Device::str() const {
  if (is_meta()) return "meta";
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text == "meta") return meta();
  if (text.rfind("cuda:", 0) == 0 && text.size() > 5) {
    const std::string digits = text.substr(5);
    bool ok = digits.size() <= 4;
    for (char c : digits) ok = ok && c >= '0' && c <= '9';
    if (ok) return cuda(std::atoi(digits.c_str()));
  }
  detail::throw_error("Device::parse: expected \"cpu\", \"cuda\", \"cuda:N\" or \"meta\", got \"",
                      text, "\"");
}

}  // namespace gpunn
