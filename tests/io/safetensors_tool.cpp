// The gpunn side of the Python interop test (safetensors_interop.py):
//   safetensors_tool write PATH   writes the reference tensors below to PATH
//   safetensors_tool dump PATH    loads PATH and prints every tensor, one per line:
//                                 name<TAB>dtype<TAB>shape<TAB>values (exact decimal)
// plus "meta<TAB>key<TAB>value" lines for the metadata.
#include <gpunn/gpunn.h>
#include <gpunn/io/safetensors.h>

#include <cstdio>
#include <cstring>
#include <iostream>

namespace {

// Values the Python side recomputes exactly: small dyadic fractions and integers.
gpunn::StateDict reference() {
  using namespace gpunn;
  StateDict d;
  std::vector<double> w(12);
  for (size_t i = 0; i < w.size(); ++i) w[i] = (static_cast<double>(i) - 5.5) / 8.0;
  d.insert("fc.weight", tensor(w, {3, 4}, kFloat32));
  d.insert("fc.bias", tensor({0.1, -0.2, 0.3}, kFloat64));  // not dyadic: bits must survive
  d.insert("counts", tensor_from(std::vector<int64_t>{-9007199254740993LL, 0, 42}, {3}));
  d.insert("scalar", scalar_tensor(2.5, kFloat64));
  d.insert("empty", zeros({2, 0}));
  d.insert("transposed", tensor(w, {3, 4}, kFloat64).t());
  // 16-bit floats: values that need rounding (0.1, 1/3), a float16 subnormal (2^-20),
  // float16's largest finite value, and beyond it (rounds to inf in float16).
  const std::vector<double> h = {0.1, -1.0 / 3.0, 0x1p-20, 65504.0, 70000.0, -0.0};
  d.insert("bf16", tensor(h, {2, 3}, kBFloat16));
  d.insert("f16", tensor(h, {2, 3}, kFloat16));
  return d;
}

void print_values(const gpunn::Tensor& t) {
  const gpunn::Tensor c = t.contiguous();
  for (int64_t i = 0; i < c.numel(); ++i) {
    if (i) std::printf(" ");
    switch (c.dtype()) {
      case gpunn::DType::Float32:
        std::printf("%.9g", static_cast<double>(c.data<float>()[i]));
        break;
      case gpunn::DType::Float64:
        std::printf("%.17g", c.data<double>()[i]);
        break;
      case gpunn::DType::Int64:
        std::printf("%lld", static_cast<long long>(c.data<int64_t>()[i]));
        break;
      case gpunn::DType::BFloat16:  // exact: 16-bit floats are exact in %.9g
        std::printf("%.9g", static_cast<double>(c.data<gpunn::BFloat16>()[i]));
        break;
      case gpunn::DType::Float16:
        std::printf("%.9g", static_cast<double>(c.data<gpunn::Half>()[i]));
        break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "write") != 0 && std::strcmp(argv[1], "dump") != 0)) {
    std::fprintf(stderr, "usage: safetensors_tool write|dump PATH\n");
    return 2;
  }
  try {
    if (std::strcmp(argv[1], "write") == 0) {
      gpunn::io::save_safetensors(argv[2], reference(),
                                  {{"written_by", "gpunn"}, {"note", "caf\xc3\xa9 \xe2\x9c\x93"}});
      return 0;
    }
    const gpunn::io::SafetensorsFile f = gpunn::io::load_safetensors(argv[2]);
    for (const auto& [k, v] : f.metadata) std::printf("meta\t%s\t%s\n", k.c_str(), v.c_str());
    for (const auto& [name, t] : f.tensors) {
      std::printf("%s\t%s\t", name.c_str(), gpunn::dtype_name(t.dtype()));
      for (int64_t d = 0; d < t.dim(); ++d) std::printf(d ? ",%lld" : "%lld", (long long)t.size(d));
      std::printf("\t");
      print_values(t);
      std::printf("\n");
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "safetensors_tool: %s\n", e.what());
    return 1;
  }
}
