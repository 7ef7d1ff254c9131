// Philox4x32-10, the counter-based generator of Salmon et al., "Parallel Random
// Numbers: As Easy as 1, 2, 3" (SC11): ten rounds of a multiply-and-xor bijection
// over a 128-bit counter under a 64-bit key. Usable from host and device code.
#pragma once

#include <cstdint>

#include "kernels/base/host_device.h"

namespace gpunn::kernels {

struct Philox4 {
  uint32_t v[4];
};

namespace philox_detail {
constexpr uint32_t kMul0 = 0xD2511F53u;
constexpr uint32_t kMul1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u;  // key schedule increments
constexpr uint32_t kWeyl1 = 0xBB67AE85u;

GPUNN_HOST_DEVICE inline void mul_hi_lo(uint32_t a, uint32_t b, uint32_t* hi, uint32_t* lo) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  *lo = static_cast<uint32_t>(p);
}
}  // namespace philox_detail

// Ten rounds over the full 128-bit counter c under the 64-bit key k.
GPUNN_HOST_DEVICE inline Philox4 philox4x32_10(Philox4 c, uint32_t k0, uint32_t k1) {
  using namespace philox_detail;
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mul_hi_lo(kMul0, c.v[0], &hi0, &lo0);
    mul_hi_lo(kMul1, c.v[2], &hi1, &lo1);
    c = Philox4{{hi1 ^ c.v[1] ^ k0, lo1, hi0 ^ c.v[3] ^ k1, lo0}};
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return c;
}

// The four outputs for counter `block` (the high half of the counter is zero)
// under key `seed`.
GPUNN_HOST_DEVICE inline Philox4 philox_block(uint64_t seed, uint64_t block) {
  Philox4 c{{static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u}};
  return philox4x32_10(c, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// A float in [0, 1) from the top 24 bits, a double from 53 bits of two words.
GPUNN_HOST_DEVICE inline float uniform_float(uint32_t u) {
  return static_cast<float>(u >> 8) * (1.0f / 16777216.0f);
}
GPUNN_HOST_DEVICE inline double uniform_double(uint32_t hi, uint32_t lo) {
  uint64_t bits = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(bits & ((1ULL << 53) - 1)) * (1.0 / 9007199254740992.0);
}

}  // namespace gpunn::kernels
