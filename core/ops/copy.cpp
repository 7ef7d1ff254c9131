// Copies and conversions: copy_, fill_, clone, contiguous, to(dtype), to(device).
//
// clone/contiguous/to are differentiable: clone passes gradients through; to()
// between float types converts the gradient back to the input's dtype.
#include <gpunn/autograd.h>
#include <gpunn/tensor.h>

#include "core/allocator.h"
#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "core/tensor_impl.h"
#include "kernels/copy.h"

namespace gpunn {
namespace {

// dst = src (broadcast to dst's shape, converted to dst's dtype); no checks.
void copy_into(const Tensor& dst, const Tensor& src) {
  if (dst.numel() == 0) return;
  const kernels::StridedPair ix =
      make_strided_pair(dst.shape(), dst.strides(), broadcast_strides(src, dst.shape()));
  const kernels::CopyArgs args{.dtype = dst.dtype(),
                               .src_dtype = src.dtype(),
                               .ix = ix,
                               .n = dst.numel(),
                               .src = src.data_ptr(),
                               .dst = dst.data_ptr()};
  launch(kernels::copy, dst.device(), args, {&src}, {&dst}, "copy_");
}

// to(device): dx = dy moved back to x's device.
class ToDeviceBackward final : public autograd::Node {
 public:
  explicit ToDeviceBackward(Device device) : device_(device) {}
  const char* name() const override { return "to_device_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override { return {grads[0].to(device_)}; }
  // Ops on the incoming gradient only: differentiable as they stand.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return apply(grads);
  }

 private:
  Device device_;
};

// clone(): dx = dy.
class CloneBackward final : public autograd::Node {
 public:
  const char* name() const override { return "clone_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override { return {grads[0]}; }
  // Ops on the incoming gradient only: differentiable as they stand.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return apply(grads);
  }
};

// to(dtype): dx = dy converted back to x's dtype.
class ToDtypeBackward final : public autograd::Node {
 public:
  explicit ToDtypeBackward(DType input_dtype) : input_dtype_(input_dtype) {}
  const char* name() const override { return "to_dtype_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {grads[0].to(input_dtype_)};
  }
  // Ops on the incoming gradient only: differentiable as they stand.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return apply(grads);
  }

 private:
  DType input_dtype_;
};

}  // namespace

Tensor& Tensor::copy_(const Tensor& src) {
  check_defined("copy_", *this, "self");
  check_defined("copy_", src, "src");
  check_inplace("copy_", *this, {&src});
  GPUNN_CHECK(src.device() == device(), "copy_: src ", describe(src), " is on ", src.device().str(),
              " but self ", describe(*this), " is on ", device().str(),
              " (move it with to(device) first)");
  GPUNN_CHECK(broadcast_shapes("copy_", src.shape(), shape()) == shape(), "copy_: src ",
              describe(src), " cannot be broadcast to self ", describe(*this));
  // A source that shares storage with self may overlap it: copy it out first.
  const bool overlap = src.impl()->storage == impl()->storage;
  copy_into(*this, overlap ? src.detach().clone() : src);
  bump_version(*this);
  return *this;
}

Tensor& Tensor::fill_(double value) {
  check_inplace("fill_", *this);
  if (numel() > 0) {
    const kernels::StridedPair ix = make_strided_pair(shape(), strides(), strides());
    const kernels::FillArgs args{
        .dtype = dtype(), .ix = ix, .n = numel(), .value = value, .dst = data_ptr()};
    launch(kernels::fill, device(), args, {}, {this}, "fill_");
  }
  bump_version(*this);
  return *this;
}

Tensor Tensor::clone() const {
  check_defined("clone", *this, "self");
  Tensor y = empty_as(*this, shape());
  copy_into(y, *this);
  if (autograd::needs_grad({this})) {
    autograd::set_history(y, autograd::make_node<CloneBackward>({this}));
  }
  if (autograd::fw::any_tangent({this})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(y, autograd::fw::tangent_of(*this).clone());
  }
  return y;
}

Tensor Tensor::contiguous() const {
  check_defined("contiguous", *this, "self");
  return is_contiguous() ? *this : clone();
}

Tensor Tensor::to(DType dtype) const {
  check_defined("to", *this, "self");
  if (dtype == this->dtype()) return *this;
  Tensor y = empty(shape(), TensorOptions(dtype).device(device()));
  copy_into(y, *this);
  if (is_floating(dtype) && autograd::needs_grad({this})) {
    autograd::set_history(y, autograd::make_node<ToDtypeBackward>({this}, this->dtype()));
  }
  if (is_floating(dtype) && autograd::fw::any_tangent({this})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(y, autograd::fw::tangent_of(*this).to(dtype));
  }
  return y;
}

Tensor Tensor::to(Device device) const {
  check_defined("to", *this, "self");
  const Device from = this->device();
  if (device == from) return *this;
  GPUNN_CHECK(!from.is_meta(), "to: a meta tensor ", describe(*this), " has no data to move to ",
              device.str(), " (the meta device holds shapes only)");
  // check_device_available adds ": device cuda:N is not available (...)".
  check_device_available(detail::concat("to: cannot move ", describe(*this), " from ", from.str(),
                                        " to ", device.str())
                             .c_str(),
                         device);
  // The bytes of a contiguous copy, moved as one block.
  const Tensor src = detach().contiguous();
  Tensor y = empty(shape(), TensorOptions(dtype()).device(device));
  const size_t nbytes = static_cast<size_t>(numel()) * dtype_size(dtype());
  if (!device.is_meta()) copy_between_devices(y.data_ptr(), device, src.data_ptr(), from, nbytes);
  if (autograd::needs_grad({this})) {
    autograd::set_history(y, autograd::make_node<ToDeviceBackward>({this}, from));
  }
  if (autograd::fw::any_tangent({this})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(y, autograd::fw::tangent_of(*this).to(device));
  }
  return y;
}

}  // namespace gpunn
