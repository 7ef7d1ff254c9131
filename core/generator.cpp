// The Philox generator's state (gpunn/generator.h).
#include <gpunn/generator.h>

#include "core/autograd/checkpoint.h"

namespace gpunn {

void Generator::manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  offset_ = 0;
}

uint64_t Generator::seed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seed_;
}

uint64_t Generator::offset() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return offset_;
}

Generator::State Generator::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {seed_, offset_};
}

void Generator::set_state(State state) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = state.seed;
  offset_ = state.offset;
}

Generator::State Generator::reserve(uint64_t blocks) {
  std::lock_guard<std::mutex> lock(mutex_);
  const State first{seed_, offset_};
  // A checkpoint's first run keeps the state each generator had before its draws, for
  // the recompute to replay (core/autograd/checkpoint.h).
  if (autograd::detail::BoundaryCollector* c = autograd::detail::boundary_collector())
    c->note_generator(this, first);
  offset_ += blocks;
  return first;
}

Generator& default_generator() {
  static Generator generator;
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace gpunn
