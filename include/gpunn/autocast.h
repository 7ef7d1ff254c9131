// Automatic mixed precision: inside an autocast scope, ops choose their compute dtype by a
// fixed policy, as torch.autocast does, so a float32 model trains on bfloat16 or float16
// tensor cores with two lines:
//
//   gpunn::autocast::Guard amp(gpunn::kBFloat16);   // forward and loss in here
//   Tensor loss = cross_entropy(model.forward(x), y);
//   ... the guard goes out of scope; loss.backward(), optimizer step as usual
//
// The policy (docs/precision.md has the table):
//   low dtype   matmul, linear, conv2d, conv_transpose2d (and so every Linear, Conv2d and
//               RNN gate product): float32 inputs are cast to the scope's dtype.
//   float32     softmax, log_softmax, every loss, batch_norm, local_response_norm, exp,
//               log, pow, sum and mean: 16-bit inputs are cast to float32 (their sums and
//               exponentials need the range and the bits).
//   promote     every other op with several floating inputs (add, mul, cat, the LSTM
//               cell, ...): inputs of different floating dtypes are cast to the widest
//               (float64 > float32 > the 16-bit types; bfloat16 with float16 gives
//               float32). Single-input ops run in their input's dtype.
// float64 tensors are never cast. Casts are recorded like any op (Tensor::to), so
// gradients reach float32 parameters in float32: the parameters are the master weights.
// A parameter (a leaf that requires grad) is cast once per scope and the cast reused by
// every op that reads it; the cache is dropped when the outermost guard ends, so a scope
// should cover one step's forward pass. Outside a scope, mixing dtypes in one op is an
// error that names both.
//
// Scopes are per thread and nest (an inner Guard may change the dtype or disable autocast
// with enabled = false). backward() needs no scope: each backward rule runs in the dtypes
// its forward ran in, and autocast is off while it runs (also when backward() is called
// inside a scope).
#pragma once

#include <gpunn/dtype.h>
#include <gpunn/export.h>

GPUNN_API_BEGIN

namespace gpunn::autocast {

class Guard {
 public:
  // dtype: kBFloat16 or kFloat16 (anything else is refused by name).
  explicit Guard(DType dtype = kBFloat16, bool enabled = true);
  ~Guard();
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  bool was_enabled_;
  DType previous_;
};

// Whether ops on this thread are inside an enabled scope, and its dtype.
bool is_enabled();
DType dtype();

// Drops the cached parameter casts now (the outermost Guard does it when it ends).
void clear_cache();

}  // namespace gpunn::autocast

GPUNN_API_END
