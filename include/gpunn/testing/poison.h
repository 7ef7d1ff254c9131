// Poisoned outputs, for tests of ops and kernels.
//
// While a PoisonNewTensors is alive, the memory of every tensor gpunn allocates (on the
// CPU and on CUDA devices, empty() and every op's outputs alike) is filled with all-ones
// bytes before anyone writes it: NaN in float32 and float64, -1 in int64. A kernel that
// leaves an output element unwritten then leaves a NaN there, which no comparison with
// a reference lets pass. Costs one memset per allocation while alive, one relaxed load
// otherwise. Process-wide; scopes nest.
#pragma once

#include <gpunn/export.h>

GPUNN_API_BEGIN

namespace gpunn::testing {

class PoisonNewTensors {
 public:
  PoisonNewTensors();
  ~PoisonNewTensors();
  PoisonNewTensors(const PoisonNewTensors&) = delete;
  PoisonNewTensors& operator=(const PoisonNewTensors&) = delete;
};

bool poisoning_new_tensors();

}  // namespace gpunn::testing

GPUNN_API_END
