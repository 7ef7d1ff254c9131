// TensorImpl and Storage: what a Tensor handle points at. Private to libgpunn.
//
// Storage owns (or borrows) one buffer on one device and carries the version
// counter shared by every view of it: in-place ops bump it, and saved tensors
// compare it at backward time (Note [saved tensors and in-place updates], in
// autograd/node.h).
#pragma once

#include <gpunn/tensor.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

namespace gpunn {

namespace autograd {
class Node;
}

class Storage {
 public:
  Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter)
      : data_(data), nbytes_(nbytes), device_(device), deleter_(std::move(deleter)) {}
  ~Storage() {
    if (deleter_) deleter_(data_);
  }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

  uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_;
  size_t nbytes_;
  Device device_;
  std::function<void(void*)> deleter_;
  std::atomic<uint64_t> version_{0};
};

// A fresh buffer of nbytes on `device` from that device's allocator.
std::shared_ptr<Storage> allocate_storage(size_t nbytes, Device device);

class TensorImpl {
 public:
  TensorImpl(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset,
             DType dtype);

  // Layout.
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements
  int64_t offset = 0;
  DType dtype;

  // Reverse mode. A leaf that requires grad has no grad_fn; its gradient edge is
  // its grad accumulator, made on first use and held by the graph, not by us.
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;
  uint32_t output_nr = 0;
  std::weak_ptr<autograd::Node> grad_accumulator;

  // Forward mode.
  Tensor tangent;

  int64_t numel() const;
  bool is_contiguous() const;
  Device device() const { return storage->device(); }
  // Address of the first element (storage offset applied); null on the meta device.
  void* data() const {
    void* base = storage->data();
    if (base == nullptr) return nullptr;
    return static_cast<char*>(base) + offset * static_cast<int64_t>(dtype_size(dtype));
  }
};

// Row-major (C-order) strides of a shape.
Shape contiguous_strides(const Shape& shape);

// A new tensor over the same storage with another shape/strides/offset. No
// autograd history: callers that need it record it themselves.
Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset);

}  // namespace gpunn
