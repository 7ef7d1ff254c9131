// DataLoader: epoch order, batching, and the background thread that prepares
// batches ahead of the consumer.
//
// Note [prefetch and the device copy]
// One epoch is a Run. With prefetch, the Run owns one worker thread that walks
// the epoch's batches in order and, for each, (1) gathers the examples
// (Dataset::get_batch), (2) applies the transform with the batch's own
// generator, (3) delivers the batch to options.device (deliver() below), and
// pushes it onto a queue of at most prefetch_depth batches; the consumer pops
// from the front. The worker blocks when the queue is full, so memory stays
// bounded, and every wait also wakes on `stop_`, so destruction never
// deadlocks: ~Run sets stop_, wakes the worker and joins it. A batch whose
// preparation throws is replaced by its exception_ptr on the queue and the
// worker ends; the consumer rethrows it when it reaches that batch, after the
// batches before it, and the epoch is over.
//
// The device copy is deliver(). On the CPU it is the identity. For a CUDA
// device it is Tensor::to(device) on the worker: the batch is staged through the
// device's pinned buffer and copied asynchronously on the device's stream, the
// stream every op runs on, so the copy is ordered before the training step that
// reads it without any event, and the worker goes on gathering the next batch
// while the device works. The transfer itself shares that stream with compute;
// overlapping it with kernels (a copy stream, one pinned buffer per queued batch
// and an event the compute stream waits on) is the next step when profiles show
// the copy on the critical path.
//
// Determinism: nothing here depends on timing. The order is epoch_order(epoch)
// and the transform's generator for batch b is seeded from (seed, epoch, b), so
// prefetch on or off gives the same batches.
#include <gpunn/config.h>
#include <gpunn/data/loader.h>
#include <gpunn/profiler.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "data/random_util.h"

namespace gpunn::data {

std::vector<int64_t> shuffled_indices(int64_t n, uint64_t seed) {
  GPUNN_CHECK(n >= 0, "shuffled_indices: n must be non-negative, got ", n);
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  // Fisher-Yates: position i swaps with a uniform position in [0, i].
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(
        detail::uniform_index(seed, static_cast<uint64_t>(i), static_cast<uint64_t>(i) + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

namespace {

Batch deliver(Batch batch, Device device) {
  if (device.is_cpu()) return batch;
  // Pinned staging and an asynchronous copy on the device's stream (see the Note).
  if (batch.data.defined()) batch.data = batch.data.to(device);
  if (batch.target.defined()) batch.target = batch.target.to(device);
  return batch;
}

}  // namespace

class DataLoader::Run {
 public:
  // device_order: for a device-resident dataset, `order` as an int64 tensor on its
  // device (batches are gathered with slices of it); undefined otherwise.
  Run(std::shared_ptr<const Dataset> dataset, const DataLoaderOptions& options, int64_t epoch,
      std::vector<int64_t> order, Tensor device_order, int64_t num_batches)
      : dataset_(std::move(dataset)),
        options_(options),
        epoch_(epoch),
        order_(std::move(order)),
        device_order_(std::move(device_order)),
        num_batches_(num_batches) {
    if (options_.prefetch && num_batches_ > 0) worker_ = std::thread([this] { work(); });
  }

  ~Run() {
    if (worker_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
      }
      space_.notify_all();
      worker_.join();
    }
  }

  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // The next batch, or false at the end of the epoch; rethrows a worker's error.
  bool next(Batch& out) {
    if (finished_) return false;
    if (consumed_ == num_batches_) return finish();  // also when no worker was started
    if (!options_.prefetch) {
      try {
        out = prepare(consumed_++);
      } catch (...) {
        finished_ = true;
        throw;
      }
      return true;
    }
    Item item;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [&] { return !queue_.empty() || worker_done_; });
      if (queue_.empty()) return finish();
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    space_.notify_one();
    if (item.error) {
      finished_ = true;
      std::rethrow_exception(item.error);
    }
    out = std::move(item.batch);
    ++consumed_;
    return true;
  }

 private:
  struct Item {
    Batch batch;
    std::exception_ptr error;
  };

  bool finish() {
    finished_ = true;
    return false;
  }

  Batch prepare(int64_t b) const {
    const int64_t bs = options_.batch_size;
    const int64_t start = b * bs;
    const int64_t stop = std::min<int64_t>(start + bs, static_cast<int64_t>(order_.size()));
    std::vector<int64_t> indices(order_.begin() + start, order_.begin() + stop);
    Batch batch =
        device_order_.defined()
            ? dataset_->gather(device_order_.narrow(0, start, stop - start), std::move(indices))
            : dataset_->get_batch(indices);
    if (options_.transform) {
      Generator generator(detail::derive_key(options_.seed, detail::Stream::Transform,
                                             static_cast<uint64_t>(epoch_),
                                             static_cast<uint64_t>(b)));
      batch = options_.transform(std::move(batch), generator);
    }
    return deliver(std::move(batch), options_.device);
  }

  void work() {
    for (int64_t b = 0; b < num_batches_; ++b) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        space_.wait(lock, [&] {
          return stop_ || static_cast<int64_t>(queue_.size()) < options_.prefetch_depth;
        });
        if (stop_) break;
      }
      Item item;
      try {
        item.batch = prepare(b);
      } catch (...) {
        item.error = std::current_exception();
      }
      const bool failed = item.error != nullptr;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(std::move(item));
      }
      ready_.notify_one();
      if (failed) break;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      worker_done_ = true;
    }
    ready_.notify_one();
  }

  const std::shared_ptr<const Dataset> dataset_;
  const DataLoaderOptions options_;
  const int64_t epoch_;
  const std::vector<int64_t> order_;
  const Tensor device_order_;
  const int64_t num_batches_;

  // Consumer side.
  int64_t consumed_ = 0;
  bool finished_ = false;

  // Shared with the worker, under mutex_.
  std::mutex mutex_;
  std::condition_variable ready_;  // a batch was queued, or the worker ended
  std::condition_variable space_;  // a batch was taken, or stop_ was set
  std::deque<Item> queue_;
  bool stop_ = false;
  bool worker_done_ = false;

  std::thread worker_;  // last: started once everything above exists
};

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  GPUNN_CHECK(dataset_ != nullptr, "DataLoader: the dataset is null");
  GPUNN_CHECK(options_.batch_size >= 1, "DataLoader: batch_size must be at least 1, got ",
              options_.batch_size);
  GPUNN_CHECK(options_.prefetch_depth >= 1, "DataLoader: prefetch_depth must be at least 1, got ",
              options_.prefetch_depth);
  if (options_.device.is_cuda()) {
    const int n = cuda::device_count();
    GPUNN_CHECK(options_.device.index < n, "DataLoader: device ", options_.device.str(),
                " is not available (", n, " usable CUDA device", n == 1 ? "" : "s", ")");
  }
}

DataLoader::DataLoader(DataLoader&&) noexcept = default;
DataLoader& DataLoader::operator=(DataLoader&&) noexcept = default;
DataLoader::~DataLoader() = default;

int64_t DataLoader::num_batches() const {
  const int64_t n = dataset_->size();
  const int64_t bs = options_.batch_size;
  return options_.drop_last ? n / bs : (n + bs - 1) / bs;
}

void DataLoader::set_epoch(int64_t epoch) {
  GPUNN_CHECK(epoch >= 0, "DataLoader::set_epoch: epoch must be non-negative, got ", epoch);
  next_epoch_ = epoch;
}

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  GPUNN_CHECK(epoch >= 0, "DataLoader::epoch_order: epoch must be non-negative, got ", epoch);
  const int64_t n = dataset_->size();
  if (options_.shuffle) {
    const uint64_t key =
        detail::derive_key(options_.seed, detail::Stream::Shuffle, static_cast<uint64_t>(epoch));
    if (!dataset_->device().is_cpu()) {
      // randperm on the CPU gives the permutation start_epoch draws on the device.
      Generator generator(key);
      return randperm(n, kInt64, &generator).to_vector<int64_t>();
    }
    return shuffled_indices(n, key);
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  return order;
}

void DataLoader::start_epoch() {
  run_.reset();  // stops an epoch still in progress first
  epoch_ = next_epoch_++;
  const Device where = dataset_->device();
  if (where.is_cpu()) {
    run_ = std::make_unique<Run>(dataset_, options_, epoch_, epoch_order(epoch_), Tensor(),
                                 num_batches());
    return;
  }
  // A device-resident dataset: the order is drawn on its device (randperm: Philox keys and
  // a radix sort), and read back once for Batch::indices.
  const int64_t n = dataset_->size();
  Tensor order;
  if (options_.shuffle) {
    Generator generator(
        detail::derive_key(options_.seed, detail::Stream::Shuffle, static_cast<uint64_t>(epoch_)));
    order = randperm(n, TensorOptions(kInt64).device(where), &generator);
  } else {
    order = arange(static_cast<double>(n), TensorOptions(kInt64)).to(where);
  }
  std::vector<int64_t> host = order.to(kCPU).to_vector<int64_t>();
  run_ = std::make_unique<Run>(dataset_, options_, epoch_, std::move(host), std::move(order),
                               num_batches());
}

bool DataLoader::next(Batch& batch) {
  GPUNN_CHECK(run_ != nullptr, "DataLoader::next: no epoch started (call start_epoch or begin)");
  const profiler::Range range("data");
  return run_->next(batch);
}

DataLoader::Iterator DataLoader::begin() {
  start_epoch();
  return Iterator(this);
}

DataLoader::Iterator::Iterator(DataLoader* loader) : loader_(loader) { ++*this; }

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  auto next = std::make_shared<Batch>();
  if (loader_ != nullptr && loader_->next(*next)) {
    batch_ = std::move(next);
  } else {
    batch_.reset();
  }
  return *this;
}

}  // namespace gpunn::data
