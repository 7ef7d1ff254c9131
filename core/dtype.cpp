// DType and Device helpers.
#include <gpunn/dtype.h>
#include <gpunn/error.h>

#include <cstdlib>

namespace gpunn {

size_t dtype_size(DType dtype) {
  switch (dtype) {
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
  }
  return "unknown";
}

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text.rfind("cuda:", 0) == 0 && text.size() > 5) {
    const std::string digits = text.substr(5);
    bool ok = digits.size() <= 4;
    for (char c : digits) ok = ok && c >= '0' && c <= '9';
    if (ok) return cuda(std::atoi(digits.c_str()));
  }
  detail::throw_error("Device::parse: expected \"cpu\", \"cuda\" or \"cuda:N\", got \"", text,
                      "\"");
}

}  // namespace gpunn
