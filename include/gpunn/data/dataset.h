// Datasets: indexed collections of (data, target) examples.
//
// A Dataset answers size() and get(i); a DataLoader (gpunn/data/loader.h) asks it
// for whole batches through get_batch(indices), which the default implementation
// builds from get() and which TensorDataset (the common, in-memory case) serves
// with one row copy per example.
//
// Device-resident data. A TensorDataset may hold CUDA tensors (a dataset that fits in
// the GPU's memory, loaded once). Its device() says so, and a DataLoader then draws
// each epoch's order on that device and gathers every batch there (gather() with the
// indices as a device tensor: index_select, no host copy of the data).
//
// Thread safety: a DataLoader calls the const methods of its dataset from one
// background thread while the program runs. A dataset must therefore not change
// while a loader iterates over it; the datasets here are immutable after
// construction.
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::data {

// One example. `target` may be undefined for data without labels.
struct Example {
  Tensor data;
  Tensor target;
};

// A batch of B examples: data [B, ...] and target [B, ...] (undefined when the
// examples have none), contiguous, and the dataset indices they came from.
struct Batch {
  Tensor data;
  Tensor target;
  std::vector<int64_t> indices;

  int64_t size() const { return static_cast<int64_t>(indices.size()); }
};

class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual int64_t size() const = 0;
  // Example i, 0 <= i < size(); throws gpunn::Error naming the index otherwise.
  virtual Example get(int64_t index) const = 0;
  // The examples at `indices`, stacked along a new first dim. The default calls
  // get() for each and copies the results into one tensor per field; every
  // example must have the same shapes and dtypes as the first.
  virtual Batch get_batch(const std::vector<int64_t>& indices) const;

  // Where the examples live: the CPU unless a dataset holds them on a device.
  virtual Device device() const { return kCPU; }
  // The batch at `indices`, given twice: as an int64 1-D tensor on device() and as the
  // same values on the host (for Batch::indices). A device-resident dataset gathers with
  // the tensor; the default calls get_batch(host_indices).
  virtual Batch gather(const Tensor& indices, std::vector<int64_t> host_indices) const;
};

// Examples held in two tensors whose first dim indexes the examples: data
// [N, ...] and target [N, ...] (any dtypes; target may be undefined). get(i)
// returns views (row i of each); get_batch gathers rows: one memcpy each on the CPU,
// one index_select per field on a CUDA device.
class TensorDataset : public Dataset {
 public:
  TensorDataset() = default;
  // Keeps contiguous versions of both tensors (copies only when needed); they must
  // live on one device (the CPU or a CUDA device) and have the same first dim.
  explicit TensorDataset(Tensor data, Tensor target = Tensor());

  int64_t size() const override;
  Example get(int64_t index) const override;
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  Device device() const override;
  Batch gather(const Tensor& indices, std::vector<int64_t> host_indices) const override;

  const Tensor& data() const { return data_; }
  const Tensor& target() const { return target_; }
  // A new dataset holding copies of the rows at `indices`, in that order.
  TensorDataset subset(const std::vector<int64_t>& indices) const;

 private:
  Tensor data_;
  Tensor target_;
};

// The examples of `dataset` at `indices` (in that order), without copying data.
class Subset : public Dataset {
 public:
  Subset(std::shared_ptr<const Dataset> dataset, std::vector<int64_t> indices);

  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Example get(int64_t index) const override;
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  Device device() const override { return dataset_->device(); }

  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  std::shared_ptr<const Dataset> dataset_;
  std::vector<int64_t> indices_;
};

// The rows of `x` (first dim) at `indices`, as a new contiguous tensor
// [indices.size(), ...] of x's dtype on x's device. Throws gpunn::Error for an index out
// of range.
Tensor gather_rows(const Tensor& x, const std::vector<int64_t>& indices);

}  // namespace gpunn::data

GPUNN_API_END
