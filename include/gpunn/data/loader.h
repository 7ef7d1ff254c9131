// DataLoader: batches from a Dataset, shuffled per epoch, prepared ahead of use
// on a background thread.
//
//   auto train = data::load_fashion_mnist(dir, data::Split::Train);
//   data::DataLoader loader(train, {.batch_size = 64, .shuffle = true, .seed = 1});
//   for (int epoch = 0; epoch < 10; ++epoch)
//     for (data::Batch& batch : loader) { ... batch.data [64,1,28,28], batch.target [64] ... }
//
// Order. Epoch e visits the dataset in the order epoch_order(e): 0..N-1, or with
// shuffle a permutation that is a pure function of (seed, e), the same on every
// machine and with or without prefetch. A device-resident dataset (a TensorDataset
// of CUDA tensors, Dataset::device()) is shuffled on its device by gpunn::randperm,
// and its batches are gathered there with slices of that order: no host copy of the
// data, one read of the order per epoch for Batch::indices. Its permutation differs
// from the host shuffle's (epoch_order says which applies). Each range-for (each begin()) runs the
// next epoch: 0, 1, 2, ...; set_epoch(e) makes the next one e (to resume from a
// checkpoint). Batches are consecutive slices of that order; the last one holds
// the remainder unless drop_last is set.
//
// Transform. options.transform(batch, generator) runs on each batch after it is
// gathered, with a Generator seeded from (seed, epoch, batch number), so random
// augmentation (gpunn/data/transforms.h) is reproducible too.
//
// Prefetch and the device copy: see Note [prefetch and the device copy] in
// data/loader.cpp. With prefetch on (the default) one background thread gathers,
// transforms and copies up to prefetch_depth batches ahead of the consumer. An
// exception thrown there (a corrupt file, a transform's error) is rethrown to
// the consumer, from begin() or ++, with its type and message; the epoch then
// ends. Destroying the loader, or starting a new epoch, in the middle of an
// epoch stops and joins the thread.
//
// One iteration at a time: begin() abandons any epoch still in progress, and
// iterators of an abandoned epoch must not be used. A DataLoader may be moved,
// but not while it is being iterated.
#pragma once

#include <gpunn/data/dataset.h>
#include <gpunn/export.h>
#include <gpunn/generator.h>
#include <gpunn/tensor.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::data {

// Runs on the loader's thread: changes a batch (augmentation, normalization).
// The generator is seeded from (seed, epoch, batch number).
using BatchTransform = std::function<Batch(Batch batch, Generator& generator)>;

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  bool drop_last = false;              // drop a last batch smaller than batch_size
  uint64_t seed = 0;                   // shuffling and the transform's generators
  bool prefetch = true;                // prepare batches on a background thread
  int64_t prefetch_depth = 2;          // batches ready ahead of the consumer (>= 1)
  Device device = kCPU;                // where batches are delivered
  BatchTransform transform = nullptr;  // optional
};

class DataLoader {
 public:
  class Iterator;
  struct Sentinel {};

  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});
  // Takes (a copy of, or by move) any concrete dataset.
  template <typename D>
  requires std::derived_from<std::decay_t<D>, Dataset>
  explicit DataLoader(D&& dataset, DataLoaderOptions options = {})
      : DataLoader(std::make_shared<const std::decay_t<D>>(std::forward<D>(dataset)),
                   std::move(options)) {}

  DataLoader(DataLoader&&) noexcept;
  DataLoader& operator=(DataLoader&&) noexcept;
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;
  ~DataLoader();  // stops and joins the background thread

  // Starts the next epoch (see set_epoch) and returns its first batch.
  Iterator begin();
  Sentinel end() const { return {}; }

  // Batches per epoch: ceil(N / batch_size), or floor with drop_last.
  int64_t num_batches() const;
  const Dataset& dataset() const { return *dataset_; }
  const DataLoaderOptions& options() const { return options_; }
  // The epoch the latest begin() started (-1 before the first).
  int64_t epoch() const { return epoch_; }
  // The epoch the next begin() starts; afterwards they count up from there.
  void set_epoch(int64_t epoch);
  // Dataset indices in the order epoch `epoch` visits them (before drop_last).
  std::vector<int64_t> epoch_order(int64_t epoch) const;

  // The explicit form of iteration: starts the next epoch, then next() returns
  // batches until it returns false at the end of the epoch.
  void start_epoch();
  bool next(Batch& batch);

 private:
  class Run;

  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  int64_t epoch_ = -1;
  int64_t next_epoch_ = 0;
  std::unique_ptr<Run> run_;
};

// An input iterator over one epoch's batches; *it is the current batch, which
// the caller may move from.
class DataLoader::Iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Batch;
  using difference_type = std::ptrdiff_t;
  using pointer = Batch*;
  using reference = Batch&;

  Iterator() = default;

  Batch& operator*() const { return *batch_; }
  Batch* operator->() const { return batch_.get(); }
  Iterator& operator++();
  void operator++(int) { ++*this; }
  friend bool operator==(const Iterator& it, Sentinel) { return it.batch_ == nullptr; }

 private:
  friend class DataLoader;
  explicit Iterator(DataLoader* loader);

  DataLoader* loader_ = nullptr;
  std::shared_ptr<Batch> batch_;  // null at the end
};

// A permutation of 0..n-1 that depends only on `seed` (Fisher-Yates over
// Philox numbers): the same on every machine.
std::vector<int64_t> shuffled_indices(int64_t n, uint64_t seed);

}  // namespace gpunn::data

GPUNN_API_END
