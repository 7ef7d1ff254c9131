// Dataset's default batching, TensorDataset, Subset and gather_rows.
#include <gpunn/data/dataset.h>
#include <gpunn/ops/index.h>

#include <cstring>
#include <utility>

namespace gpunn::data {
namespace {

void check_index(const char* op, int64_t index, int64_t size) {
  GPUNN_CHECK(index >= 0 && index < size, op, ": index ", index, " is out of range for ", size,
              " examples");
}

// Copies `parts` (same shape and dtype) into one contiguous [parts.size(), ...] tensor.
Tensor stack_field(const std::vector<Tensor>& parts, const std::vector<int64_t>& indices,
                   const char* field) {
  if (parts.empty() || !parts[0].defined()) {
    for (size_t i = 0; i < parts.size(); ++i) {
      GPUNN_CHECK(!parts[i].defined(), "Dataset::get_batch: example ", indices[i], " has a ", field,
                  " but the first example of the batch has none");
    }
    return Tensor();
  }
  const Tensor& first = parts[0];
  Shape shape = first.shape();
  shape.insert(shape.begin(), static_cast<int64_t>(parts.size()));
  Tensor out = empty(shape, TensorOptions(first.dtype()));
  const size_t row_bytes = static_cast<size_t>(first.numel()) * dtype_size(first.dtype());
  auto* dst = static_cast<char*>(out.data_ptr());
  for (size_t i = 0; i < parts.size(); ++i) {
    const Tensor& p = parts[i];
    GPUNN_CHECK(p.defined() && p.shape() == first.shape() && p.dtype() == first.dtype(),
                "Dataset::get_batch: example ", indices[i], " has ", field, " ",
                p.defined() ? p.shape() : Shape{}, " ",
                p.defined() ? dtype_name(p.dtype()) : "undefined", ", but the first example of ",
                "the batch has ", first.shape(), " ", dtype_name(first.dtype()));
    GPUNN_CHECK(p.device().is_cpu(), "Dataset::get_batch: example ", indices[i], " has its ", field,
                " on ", p.device().str(), "; datasets deliver CPU tensors");
    const Tensor c = p.contiguous();
    if (row_bytes) std::memcpy(dst + i * row_bytes, c.data_ptr(), row_bytes);
  }
  return out;
}

}  // namespace

Batch Dataset::get_batch(const std::vector<int64_t>& indices) const {
  GPUNN_CHECK(!indices.empty(), "Dataset::get_batch: no indices (a batch needs at least one ",
              "example to know its shapes)");
  std::vector<Tensor> data;
  std::vector<Tensor> target;
  data.reserve(indices.size());
  target.reserve(indices.size());
  const int64_t n = size();
  for (int64_t i : indices) {
    check_index("Dataset::get_batch", i, n);
    Example e = get(i);
    data.push_back(std::move(e.data));
    target.push_back(std::move(e.target));
  }
  return {stack_field(data, indices, "data"), stack_field(target, indices, "target"), indices};
}

Batch Dataset::gather(const Tensor&, std::vector<int64_t> host_indices) const {
  return get_batch(host_indices);
}

Tensor gather_rows(const Tensor& x, const std::vector<int64_t>& indices) {
  GPUNN_CHECK(x.defined() && x.dim() >= 1, "gather_rows: expected a tensor with at least one dim");
  if (!x.device().is_cpu()) {
    for (int64_t i : indices) check_index("gather_rows", i, x.size(0));
    return index_select(
        x, 0, tensor_from(indices, {static_cast<int64_t>(indices.size())}).to(x.device()));
  }
  const Tensor c = x.contiguous();
  const int64_t n = c.size(0);
  Shape shape = c.shape();
  shape[0] = static_cast<int64_t>(indices.size());
  Tensor out = empty(shape, TensorOptions(c.dtype()));
  const size_t row_bytes = n == 0 ? 0 : static_cast<size_t>(c.numel() / n) * dtype_size(c.dtype());
  const auto* src = static_cast<const char*>(c.data_ptr());
  auto* dst = static_cast<char*>(out.data_ptr());
  for (size_t i = 0; i < indices.size(); ++i) {
    check_index("gather_rows", indices[i], n);
    if (row_bytes) std::memcpy(dst + i * row_bytes, src + indices[i] * row_bytes, row_bytes);
  }
  return out;
}

TensorDataset::TensorDataset(Tensor data, Tensor target) {
  GPUNN_CHECK(data.defined() && data.dim() >= 1,
              "TensorDataset: data must be a tensor with at least one dim (examples first)");
  if (target.defined()) {
    GPUNN_CHECK(target.dim() >= 1 && target.size(0) == data.size(0), "TensorDataset: data ",
                data.shape(), " and target ", target.shape(),
                " must have the same first dim (one row per example)");
    GPUNN_CHECK(target.device() == data.device(), "TensorDataset: data is on ", data.device().str(),
                " but target is on ", target.device().str(), "; expected one device");
    target_ = target.detach().contiguous();
  }
  data_ = data.detach().contiguous();
}

int64_t TensorDataset::size() const { return data_.defined() ? data_.size(0) : 0; }

Example TensorDataset::get(int64_t index) const {
  check_index("TensorDataset::get", index, size());
  return {data_.select(0, index), target_.defined() ? target_.select(0, index) : Tensor()};
}

Batch TensorDataset::get_batch(const std::vector<int64_t>& indices) const {
  GPUNN_CHECK(data_.defined(), "TensorDataset::get_batch: the dataset is empty");
  return {gather_rows(data_, indices), target_.defined() ? gather_rows(target_, indices) : Tensor(),
          indices};
}

Device TensorDataset::device() const { return data_.defined() ? data_.device() : kCPU; }

Batch TensorDataset::gather(const Tensor& indices, std::vector<int64_t> host_indices) const {
  if (device().is_cpu()) return get_batch(host_indices);
  GPUNN_CHECK(data_.defined(), "TensorDataset::gather: the dataset is empty");
  GPUNN_CHECK(indices.defined() && indices.numel() == static_cast<int64_t>(host_indices.size()),
              "TensorDataset::gather: the index tensor and the host indices differ in length");
  return {index_select(data_, 0, indices),
          target_.defined() ? index_select(target_, 0, indices) : Tensor(),
          std::move(host_indices)};
}

TensorDataset TensorDataset::subset(const std::vector<int64_t>& indices) const {
  GPUNN_CHECK(data_.defined(), "TensorDataset::subset: the dataset is empty");
  return TensorDataset(gather_rows(data_, indices),
                       target_.defined() ? gather_rows(target_, indices) : Tensor());
}

Subset::Subset(std::shared_ptr<const Dataset> dataset, std::vector<int64_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
  GPUNN_CHECK(dataset_ != nullptr, "Subset: the dataset is null");
  const int64_t n = dataset_->size();
  for (int64_t i : indices_) check_index("Subset", i, n);
}

Example Subset::get(int64_t index) const {
  check_index("Subset::get", index, size());
  return dataset_->get(indices_[static_cast<size_t>(index)]);
}

Batch Subset::get_batch(const std::vector<int64_t>& indices) const {
  std::vector<int64_t> inner;
  inner.reserve(indices.size());
  for (int64_t i : indices) {
    check_index("Subset::get_batch", i, size());
    inner.push_back(indices_[static_cast<size_t>(i)]);
  }
  Batch b = dataset_->get_batch(inner);
  b.indices = indices;
  return b;
}

}  // namespace gpunn::data
