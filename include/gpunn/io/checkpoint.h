// Training checkpoints: model weights, optimizer and schedule state, and
// training progress (epoch, step, the default generator's state) in one
// safetensors file, written atomically (see gpunn/io/safetensors.h).
//
// Layout: tensors are named "model.<name>", "optimizer.<name>", "scheduler.<name>" and
// "scaler.<name>" (the loss scaler of mixed precision, gpunn/optim/grad_scaler.h); progress lives
// in the __metadata__ map as decimal strings under "gpunn.checkpoint" (format version, "1"),
// "gpunn.epoch", "gpunn.step", "gpunn.rng.seed" and "gpunn.rng.offset"; the caller's own metadata
// keeps its keys (which must not start with "gpunn."). Any safetensors reader can open it; the
// model's weights are the "model." entries.
#pragma once

#include <gpunn/export.h>
#include <gpunn/generator.h>
#include <gpunn/state_dict.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

GPUNN_API_BEGIN

namespace gpunn::io {

struct Checkpoint {
  StateDict model;
  StateDict optimizer;
  StateDict scheduler;
  StateDict scaler;  // empty unless the run uses a GradScaler
  int64_t epoch = 0;
  int64_t step = 0;
  Generator::State rng;  // e.g. default_generator().state()
  std::map<std::string, std::string> metadata;
};

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
// Throws gpunn::Error naming the file if it is not a valid gpunn checkpoint.
Checkpoint load_checkpoint(const std::string& path);
// load_checkpoint on a checkpoint file's bytes already in memory; `name` stands for the
// file in messages.
Checkpoint parse_checkpoint(const uint8_t* data, size_t size, const std::string& name = "<memory>");

}  // namespace gpunn::io

GPUNN_API_END
