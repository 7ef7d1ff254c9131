// What every cuDNN kernel file shares: checked calls (kernels/base/handles.h), sizes
// narrowed to cuDNN's int with an error naming the op, descriptors that destroy
// themselves, and alpha/beta typed like the data. Only in builds with cuDNN.
#pragma once

#include <cudnn.h>

#include <gpunn/dtype.h>
#include <gpunn/error.h>

#include <cstdint>

#include "kernels/base/handles.h"

namespace gpunn::kernels::cudnn {

inline bool fits_int(int64_t v) { return v >= 0 && v <= INT32_MAX; }

inline int to_int(const char* op, int64_t v, const char* what) {
  GPUNN_CHECK(fits_int(v), op, " (cuDNN): ", what, " ", v, " does not fit cuDNN's 32-bit sizes");
  return static_cast<int>(v);
}

inline cudnnDataType_t data_type(DType dtype) {
  switch (dtype) {
    case DType::Float64:
      return CUDNN_DATA_DOUBLE;
    case DType::BFloat16:
      return CUDNN_DATA_BFLOAT16;
    case DType::Float16:
      return CUDNN_DATA_HALF;
    case DType::Float32:
    case DType::Int64:  // no cuDNN op takes int64 data
      break;
  }
  return CUDNN_DATA_FLOAT;
}

// The type products are summed in: float32 for the 16-bit dtypes (cuDNN's "pseudo"
// half and bfloat16 configurations), the data's own type otherwise.
inline cudnnDataType_t compute_type(DType dtype) {
  return dtype == DType::Float64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
}

// An NCHW tensor descriptor, destroyed with the scope.
struct TensorDesc {
  cudnnTensorDescriptor_t d = nullptr;
  TensorDesc(const char* op, DType dtype, int64_t n, int64_t c, int64_t h, int64_t w) {
    GPUNN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d));
    GPUNN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, data_type(dtype),
                                                 to_int(op, n, "N"), to_int(op, c, "C"),
                                                 to_int(op, h, "H"), to_int(op, w, "W")));
  }
  ~TensorDesc() { cudnnDestroyTensorDescriptor(d); }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
};

// cuDNN's alpha = 1, beta = 0 (overwrite), typed like the data (double for float64,
// float otherwise, the 16-bit dtypes included).
struct Scale {
  explicit Scale(DType dtype) : f64(dtype == DType::Float64) {}
  const void* one() const { return f64 ? static_cast<const void*>(&d1) : &f1; }
  const void* zero() const { return f64 ? static_cast<const void*>(&d0) : &f0; }
  bool f64;
  double d1 = 1.0, d0 = 0.0;
  float f1 = 1.0f, f0 = 0.0f;
};

}  // namespace gpunn::kernels::cudnn
