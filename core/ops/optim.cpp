// The optim family's ops (gpunn/ops/optim.h): fused in-place parameter updates.
// Checks here; the element formulas in kernels/optim_math.h. And total_norm, whose
// per-tensor reduction is the reduce family's abs_pow_sum.
#include <gpunn/autograd.h>
#include <gpunn/ops/optim.h>

#include <cmath>
#include <initializer_list>
#include <utility>
#include <vector>

#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/optim.h"
#include "kernels/reduce.h"

namespace gpunn {
namespace {

// The dtype of the state buffers (and master copy) for param: float32 for the 16-bit
// dtypes, param's own otherwise (kernels/optim.h).
DType state_dtype(const Tensor& param) {
  return is_reduced_float(param.dtype()) ? kFloat32 : param.dtype();
}

// param and grad, and each defined buffer, contiguous and alike (buffers and master in the
// state dtype); a master copy only for a 16-bit param.
void check_update(const char* op, const Tensor& param, const Tensor& grad, const Tensor& master,
                  std::initializer_list<std::pair<const Tensor*, const char*>> buffers) {
  check_floating(op, param, "param");
  check_defined(op, grad, "grad");
  check_same_dtype_device(op, param, "param", grad, "grad");
  GPUNN_CHECK(grad.numel() == param.numel(), op, ": grad ", describe(grad),
              " has a different size from param ", describe(param));
  GPUNN_CHECK(param.is_contiguous() && grad.is_contiguous(), op,
              ": param and grad must be contiguous (param ", describe(param), ", grad ",
              describe(grad), ")");
  const DType state = state_dtype(param);
  GPUNN_CHECK(!master.defined() || is_reduced_float(param.dtype()), op,
              ": a master copy is for bfloat16 and float16 parameters, param is ", describe(param));
  std::vector<std::pair<const Tensor*, const char*>> all(buffers);
  all.emplace_back(&master, "master");
  for (const auto& [t, name] : all) {
    if (!t->defined()) continue;
    GPUNN_CHECK(t->dtype() == state, op, ": ", name, " ", describe(*t), " must be ",
                dtype_name(state), " for param ", describe(param),
                is_reduced_float(param.dtype()) ? " (16-bit parameters keep float32 state)" : "");
    check_same_device(op, {&param, t});
    GPUNN_CHECK(t->numel() == param.numel() && t->is_contiguous(), op, ": ", name, " ",
                describe(*t), " must be contiguous with as many elements as param ",
                describe(param));
  }
}

void check_needed(const char* op, const Tensor& t, const char* name, const char* because) {
  GPUNN_CHECK(t.defined(), op, ": ", name, " is needed ", because);
}

}  // namespace

void sgd_step_(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
               const SgdStep& step, const Tensor& master) {
  constexpr const char* op = "sgd_step_";
  check_update(op, param, grad, master, {{&momentum_buffer, "momentum_buffer"}});
  if (step.momentum != 0.0) check_needed(op, momentum_buffer, "momentum_buffer", "with momentum");
  const kernels::SgdArgs args{
      .dtype = param.dtype(),
      .n = param.numel(),
      .p = {.lr = step.lr,
            .momentum = step.momentum,
            .dampening = step.dampening,
            .weight_decay = step.weight_decay,
            .nesterov = step.nesterov,
            .first_step = step.first_step},
      .param = param.data_ptr(),
      .grad = grad.data_ptr(),
      .momentum_buffer = step.momentum != 0.0 ? momentum_buffer.data_ptr() : nullptr,
      .master = data_or_null(master)};
  launch(kernels::sgd_step, param.device(), args, {&param, &grad}, {&param}, op);
}

void adam_step_(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, const AdamStep& step,
                const Tensor& master) {
  constexpr const char* op = "adam_step_";
  check_update(
      op, param, grad, master,
      {{&exp_avg, "exp_avg"}, {&exp_avg_sq, "exp_avg_sq"}, {&max_exp_avg_sq, "max_exp_avg_sq"}});
  check_needed(op, exp_avg, "exp_avg", "always");
  check_needed(op, exp_avg_sq, "exp_avg_sq", "always");
  if (step.amsgrad) check_needed(op, max_exp_avg_sq, "max_exp_avg_sq", "with amsgrad");
  GPUNN_CHECK(step.step >= 1, op, ": step must be at least 1, got ", step.step);
  const kernels::AdamArgs args{.dtype = param.dtype(),
                               .n = param.numel(),
                               .p = {.lr = step.lr,
                                     .beta1 = step.beta1,
                                     .beta2 = step.beta2,
                                     .eps = step.eps,
                                     .weight_decay = step.weight_decay,
                                     .decoupled_weight_decay = step.decoupled_weight_decay,
                                     .amsgrad = step.amsgrad,
                                     .step = step.step},
                               .param = param.data_ptr(),
                               .grad = grad.data_ptr(),
                               .exp_avg = exp_avg.data_ptr(),
                               .exp_avg_sq = exp_avg_sq.data_ptr(),
                               .max_exp_avg_sq = step.amsgrad ? max_exp_avg_sq.data_ptr() : nullptr,
                               .master = data_or_null(master)};
  launch(kernels::adam_step, param.device(), args, {&param, &grad}, {&param}, op);
}

void rmsprop_step_(const Tensor& param, const Tensor& grad, const Tensor& square_avg,
                   const Tensor& grad_avg, const Tensor& momentum_buffer, const RmspropStep& step,
                   const Tensor& master) {
  constexpr const char* op = "rmsprop_step_";
  check_update(op, param, grad, master,
               {{&square_avg, "square_avg"},
                {&grad_avg, "grad_avg"},
                {&momentum_buffer, "momentum_buffer"}});
  check_needed(op, square_avg, "square_avg", "always");
  if (step.centered) check_needed(op, grad_avg, "grad_avg", "when centered");
  if (step.momentum > 0.0) check_needed(op, momentum_buffer, "momentum_buffer", "with momentum");
  const kernels::RmspropArgs args{
      .dtype = param.dtype(),
      .n = param.numel(),
      .p = {.lr = step.lr,
            .alpha = step.alpha,
            .eps = step.eps,
            .weight_decay = step.weight_decay,
            .momentum = step.momentum,
            .centered = step.centered},
      .param = param.data_ptr(),
      .grad = grad.data_ptr(),
      .square_avg = square_avg.data_ptr(),
      .grad_avg = step.centered ? grad_avg.data_ptr() : nullptr,
      .momentum_buffer = step.momentum > 0.0 ? momentum_buffer.data_ptr() : nullptr,
      .master = data_or_null(master)};
  launch(kernels::rmsprop_step, param.device(), args, {&param, &grad}, {&param}, op);
}

void unscale_grads_(const std::vector<Tensor>& grads, double inv_scale, const Tensor& found_inf) {
  constexpr const char* op = "unscale_grads_";
  GPUNN_CHECK(std::isfinite(inv_scale), op, ": inv_scale must be finite, got ", inv_scale);
  check_defined(op, found_inf, "found_inf");
  GPUNN_CHECK(found_inf.dtype() == kFloat32 && found_inf.numel() == 1 && found_inf.is_contiguous(),
              op, ": found_inf must be a one-element float32 tensor, got ", describe(found_inf));
  for (size_t i = 0; i < grads.size(); ++i) {
    const Tensor& g = grads[i];
    if (!g.defined()) continue;
    check_floating(op, g, "a gradient");
    GPUNN_CHECK(g.is_contiguous(), op, ": gradient ", i, " ", describe(g), " is not contiguous");
    GPUNN_CHECK(g.device() == found_inf.device(), op, ": gradient ", i, " is on ", g.device().str(),
                " but found_inf is on ", found_inf.device().str(), " (one flag per device)");
    const kernels::UnscaleArgs args{.dtype = g.dtype(),
                                    .n = g.numel(),
                                    .inv_scale = inv_scale,
                                    .grad = g.data_ptr(),
                                    .found_inf = found_inf.data<float>()};
    // Only the flag is an output for anomaly mode: non-finite gradients are what it reports.
    launch(kernels::unscale_grad, g.device(), args, {&found_inf}, {&found_inf}, op);
    bump_version(g);
  }
  bump_version(found_inf);
}

Tensor total_norm(const std::vector<Tensor>& tensors, double norm_type) {
  const char* op = "total_norm";
  GPUNN_CHECK(norm_type > 0 && !std::isnan(norm_type), op,
              ": norm_type must be > 0 or infinity, got ", norm_type);
  NoGradGuard no_grad;
  Device device = kCPU;
  int64_t nonempty = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    const std::string name = "tensors[" + std::to_string(i) + "]";
    check_floating(op, t, name.c_str());
    if (i == 0) device = t.device();
    GPUNN_CHECK(t.device() == device, op, ": ", name, " ", describe(t), " is on ", t.device().str(),
                " but tensors[0] is on ", device.str(),
                "; expected one device (take the norm per device)");
    if (t.numel() > 0) ++nonempty;
  }
  const TensorOptions f64 = TensorOptions(kFloat64).device(device);
  if (nonempty == 0 || device.is_meta()) return zeros({}, f64);
  // partial[j]: Σ |v|^p (or max |v|) of the j-th non-empty tensor, in double.
  Tensor partial = empty({nonempty}, f64);
  double* out = partial.data<double>();
  for (const Tensor& t : tensors) {
    if (t.numel() == 0) continue;
    const Tensor c = t.contiguous();
    const kernels::AbsPowSumArgs args{
        .dtype = c.dtype(), .n = c.numel(), .p = norm_type, .x = c.data_ptr(), .out = out++};
    launch(kernels::abs_pow_sum, device, args, {&c}, {&partial}, op);
  }
  if (std::isinf(norm_type)) return partial.max();
  const Tensor sum = partial.sum();
  return norm_type == 2.0 ? sum.sqrt() : norm_type == 1.0 ? sum : sum.pow(1.0 / norm_type);
}

}  // namespace gpunn
