// The checkpoints that tests/io/checkpoint_writer.cpp writes, one per version v:
// every part of version v is derived from v, and sizes change with v, so a file
// holding parts of two versions (or a prefix of one) is told apart from a
// complete version by checkpoint_version_mismatch().
#pragma once

#include <gpunn/io/checkpoint.h>
#include <gpunn/tensor.h>

#include <cstdint>
#include <string>

namespace gpunn::test {

inline int64_t checkpoint_version_size(int64_t v) { return 40000 + (v % 7) * 9000; }

inline io::Checkpoint checkpoint_version(int64_t v) {
  io::Checkpoint c;
  c.model.insert("w", full({checkpoint_version_size(v)}, static_cast<double>(v)));
  c.model.insert("b", full({3, 5}, static_cast<double>(-v)));
  c.optimizer.insert("momentum", full({checkpoint_version_size(v + 3)}, 0.5 * v, kFloat64));
  c.scheduler.insert("steps", full({}, static_cast<double>(v), kInt64));
  c.epoch = v / 10;
  c.step = v;
  c.rng = {static_cast<uint64_t>(v) * 3, static_cast<uint64_t>(v) * 5};
  c.metadata["version"] = std::to_string(v);
  return c;
}

// Empty when `c` is exactly version c.step; else what differs.
inline std::string checkpoint_version_mismatch(const io::Checkpoint& c) {
  const int64_t v = c.step;
  const io::Checkpoint want = checkpoint_version(v);
  if (c.epoch != want.epoch || c.rng.seed != want.rng.seed || c.rng.offset != want.rng.offset)
    return "progress fields differ";
  if (c.metadata != want.metadata) return "metadata differs";
  const StateDict* got[] = {&c.model, &c.optimizer, &c.scheduler};
  const StateDict* exp[] = {&want.model, &want.optimizer, &want.scheduler};
  for (int i = 0; i < 3; ++i) {
    if (got[i]->keys() != exp[i]->keys()) return "tensor names differ";
    for (const auto& [name, t] : *exp[i]) {
      const Tensor& g = got[i]->at(name);
      if (g.shape() != t.shape() || g.dtype() != t.dtype()) return "tensor '" + name + "' shape";
      if (g.to_vector<double>() != t.to_vector<double>()) return "tensor '" + name + "' values";
    }
  }
  return "";
}

}  // namespace gpunn::test
