// Seeded random numbers: a counter-based Philox4x32-10 generator.
//
// A Generator is a key (the seed) and a counter (the offset). Every random op
// reserves a range of counter blocks and computes element i from block
// offset + i / k alone, so the same seed gives the same numbers on any device,
// in any order, on any number of threads (Salmon et al., "Parallel Random
// Numbers: As Easy as 1, 2, 3", SC11).
#pragma once

#include <gpunn/export.h>

#include <cstdint>
#include <mutex>

GPUNN_API_BEGIN

namespace gpunn {

class Generator {
 public:
  static constexpr uint64_t kDefaultSeed = 67280421310721ULL;

  explicit Generator(uint64_t seed = kDefaultSeed) : seed_(seed) {}

  // Restarts the sequence from `seed`.
  void manual_seed(uint64_t seed);
  uint64_t seed() const;
  uint64_t offset() const;

  // The whole state, for checkpoints: restoring it replays the same numbers.
  struct State {
    uint64_t seed = kDefaultSeed;
    uint64_t offset = 0;
  };
  State state() const;
  void set_state(State state);

  // Reserves `blocks` counter blocks: returns the seed and the first block.
  // Thread-safe.
  State reserve(uint64_t blocks);

 private:
  mutable std::mutex mutex_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The generator used when an op is given none.
Generator& default_generator();
// Seeds the default generator.
void manual_seed(uint64_t seed);

}  // namespace gpunn

GPUNN_API_END
