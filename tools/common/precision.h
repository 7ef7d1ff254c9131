// --precision for gpunn's programs (the examples and the `gpunn` tool), and what each choice
// means in gpunn's terms (docs/precision.md):
//   fp32  strict float32 (the default)
//   tf32  float32 tensors, products on the GPU's tensor cores in TensorFloat-32
//   bf16  bfloat16 autocast (gpunn/autocast.h) around forward and loss; float32 weights
//   fp16  float16 autocast, and the loss scaler (gpunn/optim/grad_scaler.h)
// A training step then reads
//   { autocast::Guard amp(cli::autocast_dtype(p), cli::uses_autocast(p)); loss = ...; }
//   scaler.scale(loss).backward(); scaler.step(opt); scaler.update();
// with `optim::GradScaler scaler(cli::scaler_options(p))`, which passes everything through
// unless p is fp16.
#pragma once

#include <gpunn/gpunn.h>

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

namespace gpunn::cli {

inline CLI::Option* add_precision_option(CLI::App& app, std::string& precision) {
  return app
      .add_option("--precision", precision,
                  "fp32 (strict float32), tf32 (float32, TensorFloat-32 products on the GPU), "
                  "bf16 (bfloat16 autocast), fp16 (float16 autocast with loss scaling)")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16", "fp16"}))
      ->capture_default_str();
}

inline bool uses_autocast(const std::string& precision) {
  return precision == "bf16" || precision == "fp16";
}
inline DType autocast_dtype(const std::string& precision) {
  return precision == "fp16" ? kFloat16 : kBFloat16;
}
inline optim::GradScalerOptions scaler_options(const std::string& precision) {
  return {.enabled = precision == "fp16"};
}
// The process-wide part: TensorFloat-32 on for tf32, off (strict float32) otherwise. The
// option wins over GPUNN_ALLOW_TF32=1, and says so rather than ignoring it quietly.
inline void apply_precision(const std::string& precision) {
  const bool tf32 = precision == "tf32";
  if (!tf32 && allow_tf32())
    std::cerr << "note: TF32 was allowed (GPUNN_ALLOW_TF32); --precision " << precision
              << " turns it off (use --precision tf32 to keep it)\n";
  set_allow_tf32(tf32);
}

}  // namespace gpunn::cli
