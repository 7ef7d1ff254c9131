// Thread-local switches: recording (reverse mode) and tangent propagation
// (forward mode). Each thread starts with both on.
#include <gpunn/autograd.h>

#include "core/autograd/forward_ad.h"

namespace gpunn {
namespace {
thread_local bool grad_enabled = true;
thread_local bool forward_ad_enabled = true;
}  // namespace

bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

namespace autograd {

ForwardADGuard::ForwardADGuard() : previous_(forward_ad_enabled) { forward_ad_enabled = false; }
ForwardADGuard::~ForwardADGuard() { forward_ad_enabled = previous_; }

namespace fw {
bool enabled() { return forward_ad_enabled; }
}  // namespace fw

}  // namespace autograd
}  // namespace gpunn
