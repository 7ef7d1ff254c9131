// The keys of the calls auto measures (kernels/base/table.h's tuning_key): text that
// names everything about a call that can change which implementation is fastest, and
// nothing that cannot (pointers, except their alignment).
#include <cstdint>
#include <string>

#include "kernels/conv.h"
#include "kernels/gemm.h"

namespace gpunn::kernels {

namespace {

std::string shape_key(const Conv2dShape& s) {
  std::string k;
  k.reserve(96);
  auto put = [&k](const char* name, int64_t v) {
    k += name;
    k += std::to_string(v);
    k += ' ';
  };
  put("n", s.N), put("c", s.C), put("h", s.H), put("w", s.W), put("k", s.K), put("r", s.R);
  put("s", s.S), put("p", s.P), put("q", s.Q), put("u", s.stride_h), put("v", s.stride_w);
  put("ph", s.pad_h), put("pw", s.pad_w), put("dh", s.dil_h), put("dw", s.dil_w);
  put("g", s.groups);
  return k;
}

// 16, 8, 4, 2 or 1: the largest of these that divides the address.
int alignment(const void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  for (int b : {16, 8, 4, 2})
    if (a % b == 0) return b;
  return 1;
}

}  // namespace

std::string conv2d_tuning_key(const Conv2dForwardArgs& a) {
  return shape_key(a.s) + (a.b ? "bias" : "nobias") + (a.relu ? " relu" : "");
}

std::string conv2d_tuning_key(const Conv2dBackwardDataArgs& a) { return shape_key(a.s); }

std::string conv2d_tuning_key(const Conv2dBackwardWeightArgs& a) {
  return shape_key(a.s) + (a.db ? "bias" : "nobias");
}

std::string gemm_tuning_key(const GemmArgs& a) {
  if (a.beta != 0) return "";
  if (a.M * a.N * a.K * a.batch < int64_t{64} * 64 * 64) return "";
  std::string k;
  k.reserve(128);
  k += a.trans_a ? "t" : "n";
  k += a.trans_b ? "t" : "n";
  for (auto [name, v] : {std::pair<const char*, int64_t>{" m", a.M},
                         {" n", a.N},
                         {" k", a.K},
                         {" lda", a.lda},
                         {" sa", a.stride_a},
                         {" ldb", a.ldb},
                         {" sb", a.stride_b},
                         {" ldc", a.ldc},
                         {" sc", a.stride_c},
                         {" batch", a.batch}}) {
    k += name;
    k += std::to_string(v);
  }
  k += " align" + std::to_string(alignment(a.A)) + "," + std::to_string(alignment(a.B)) + "," +
       std::to_string(alignment(a.C));
  return k;
}

}  // namespace gpunn::kernels
