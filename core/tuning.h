// The memory of auto's measurements (gpunn/config.h: set_tuning, set_tuning_cache_file):
// key -> (implementation, variant), in this process and optionally in a file. Private to
// libgpunn; core/dispatch.h's launch() measures and asks here.
//
// A key is "<version>|<device>|<op>|<dtype>|<settings>|<the table's own key>", e.g.
//   0.1.0|cuda sm_90 NVIDIA H100 80GB HBM3|conv2d|float32|tf32=0 det=0|n64 c3 h224 ...
// The file holds one choice per line after a header:
//   gpunn tuning cache 1
//   <key>\t<implementation>\t<variant>\t<microseconds>
// Keys hold no tab or newline (the tables' keys are shape text).
#pragma once

#include <gpunn/config.h>
#include <gpunn/tensor.h>

#include <optional>
#include <string>
#include <vector>

#include "kernels/base/context.h"

namespace gpunn::tuning_cache {

struct Choice {
  Implementation implementation;
  int variant = 0;
};

// The key's prefix for a call of `op` in `dtype` on `device` under `settings`.
std::string key_prefix(const char* op, DType dtype, Device device,
                       const kernels::Settings& settings);

// The choice kept for `key`, if any (the file is read on the first call after it was set).
std::optional<Choice> lookup(const std::string& key);
// Keeps a measured choice (and rewrites the file when one is set).
void store(const std::string& key, Choice choice, double microseconds);

// Whether a cache file is set (deterministic mode measures only then).
bool has_file();

namespace testing {
// Our CPU entries (the reference loops) become contenders on the CPU, so the tests can
// drive the whole measuring path without a GPU. Off by default.
void set_measure_on_cpu(bool on);
bool measure_on_cpu();
}  // namespace testing

}  // namespace gpunn::tuning_cache
