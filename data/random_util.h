// Seeds and random draws for data/: every random choice the data layer makes
// (shuffles, splits, bootstrap samples, crops) comes from a Philox stream whose
// key is derived from the user's seed and what the stream is for, so that each
// is reproducible on its own and independent of the others.
#pragma once

#include <cstdint>

#include <gpunn/generator.h>

#include "kernels/base/philox.h"

namespace gpunn::data::detail {

// Stream tags: what a derived key is used for.
enum class Stream : uint64_t { Shuffle = 1, Transform = 2, Split = 3, Bootstrap = 4 };

// SplitMix64's finalizer: a bijection that mixes every input bit into every output bit.
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

// A key for (seed, stream, a, b), e.g. (seed, Shuffle, epoch, 0).
inline uint64_t derive_key(uint64_t seed, Stream stream, uint64_t a = 0, uint64_t b = 0) {
  uint64_t k = mix64(seed + 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(stream));
  k = mix64(k ^ (a + 0x632BE59BD9B4E019ULL));
  return mix64(k ^ (b + 0x8CB92BA72F3D8DD7ULL));
}

// A fresh stream key from `generator`: takes one block of it, so successive
// calls (and ops sharing the generator) get independent streams.
inline uint64_t draw_key(Generator& generator) {
  const Generator::State s = generator.reserve(1);
  return derive_key(s.seed, Stream::Transform, s.offset, 0x5EED);
}

__extension__ typedef unsigned __int128 uint128_t;  // GCC and Clang both have it

// Draw `i` of stream `key`: an integer uniform in [0, range), range >= 1.
inline uint64_t uniform_index(uint64_t key, uint64_t i, uint64_t range) {
  const kernels::Philox4 r = kernels::philox_block(key, i);
  const uint64_t bits = (static_cast<uint64_t>(r.v[0]) << 32) | r.v[1];
  // Multiply-shift: bias below range / 2^64.
  return static_cast<uint64_t>((static_cast<uint128_t>(bits) * range) >> 64);
}

// Draw `i` of stream `key`: a double uniform in [0, 1).
inline double uniform_double(uint64_t key, uint64_t i) {
  const kernels::Philox4 r = kernels::philox_block(key, i);
  return kernels::uniform_double(r.v[2], r.v[3]);
}

}  // namespace gpunn::data::detail
