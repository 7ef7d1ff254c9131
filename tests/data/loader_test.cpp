// DataLoader and datasets: order, determinism, batching, drop_last, the last
// partial batch, transforms, exceptions from the background thread, early
// destruction; TensorDataset, Subset and the default get_batch; device-resident
// datasets (shuffled and gathered on the GPU; skipped without one).
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "test_util.h"

namespace gpunn {
namespace {

using data::Batch;
using data::DataLoader;
using data::DataLoaderOptions;
using data::TensorDataset;

// n examples: data row i is [i, 10 i] (float32), target i (int64).
TensorDataset counting(int64_t n) {
  std::vector<double> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < n; ++i) {
    x.push_back(static_cast<double>(i));
    x.push_back(10.0 * static_cast<double>(i));
    y.push_back(i);
  }
  return TensorDataset(tensor(x, {n, 2}), tensor_from(y, {n}));
}

// Every batch of one epoch, checking that data, target and indices agree.
std::vector<std::vector<int64_t>> epoch_batches(DataLoader& loader) {
  std::vector<std::vector<int64_t>> out;
  for (Batch& b : loader) {
    const std::vector<int64_t> t = b.target.to_vector<int64_t>();
    EXPECT_EQ(t, b.indices);
    const std::vector<float> x = b.data.to_vector<float>();
    for (size_t i = 0; i < t.size(); ++i) {
      EXPECT_EQ(x[2 * i], static_cast<float>(t[i]));
      EXPECT_EQ(x[2 * i + 1], 10.0f * static_cast<float>(t[i]));
    }
    out.push_back(t);
  }
  return out;
}

std::vector<int64_t> flat(const std::vector<std::vector<int64_t>>& batches) {
  std::vector<int64_t> all;
  for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());
  return all;
}

class LoaderModes : public ::testing::TestWithParam<bool> {};  // prefetch off / on

TEST_P(LoaderModes, SequentialOrderAndLastPartialBatch) {
  DataLoader loader(counting(10), {.batch_size = 4, .prefetch = GetParam()});
  EXPECT_EQ(loader.num_batches(), 3);
  const auto batches = epoch_batches(loader);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(batches[1], (std::vector<int64_t>{4, 5, 6, 7}));
  EXPECT_EQ(batches[2], (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(loader.epoch(), 0);
}

TEST_P(LoaderModes, DropLast) {
  DataLoader loader(counting(10), {.batch_size = 4, .drop_last = true, .prefetch = GetParam()});
  EXPECT_EQ(loader.num_batches(), 2);
  const auto batches = epoch_batches(loader);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1], (std::vector<int64_t>{4, 5, 6, 7}));
  // Exactly divisible: nothing dropped; fewer examples than a batch: no batches.
  DataLoader even(counting(8), {.batch_size = 4, .drop_last = true, .prefetch = GetParam()});
  EXPECT_EQ(epoch_batches(even).size(), 2u);
  DataLoader tiny(counting(3), {.batch_size = 4, .drop_last = true, .prefetch = GetParam()});
  EXPECT_EQ(tiny.num_batches(), 0);
  EXPECT_TRUE(epoch_batches(tiny).empty());
}

TEST_P(LoaderModes, ShuffleIsAPermutationPerEpochAndDeterministic) {
  const DataLoaderOptions o{.batch_size = 7, .shuffle = true, .seed = 42, .prefetch = GetParam()};
  DataLoader a(counting(100), o);
  DataLoader b(counting(100), o);
  std::vector<std::vector<int64_t>> orders;
  for (int epoch = 0; epoch < 3; ++epoch) {
    const std::vector<int64_t> ea = flat(epoch_batches(a));
    EXPECT_EQ(ea, flat(epoch_batches(b)));  // same seed, same epoch: same order
    EXPECT_EQ(ea, a.epoch_order(epoch));
    EXPECT_EQ(a.epoch(), epoch);
    std::vector<int64_t> sorted = ea;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> iota(100);
    for (int64_t i = 0; i < 100; ++i) iota[i] = i;
    EXPECT_EQ(sorted, iota);  // a permutation
    EXPECT_NE(ea, iota);      // actually shuffled
    orders.push_back(ea);
  }
  EXPECT_NE(orders[0], orders[1]);  // reshuffled each epoch
  EXPECT_NE(orders[1], orders[2]);
  // set_epoch replays an epoch; another seed gives another order.
  a.set_epoch(1);
  EXPECT_EQ(flat(epoch_batches(a)), orders[1]);
  EXPECT_EQ(flat(epoch_batches(a)), orders[2]);
  DataLoaderOptions o2 = o;
  o2.seed = 43;
  DataLoader c(counting(100), o2);
  EXPECT_NE(flat(epoch_batches(c)), orders[0]);
}

TEST(DataLoader, ShuffleOrderIsPinned) {
  // The permutation is part of the reproducibility contract: a change to the
  // shuffling algorithm shows up here.
  EXPECT_EQ(data::shuffled_indices(0, 1), std::vector<int64_t>{});
  EXPECT_EQ(data::shuffled_indices(1, 1), std::vector<int64_t>{0});
  const std::vector<int64_t> p = data::shuffled_indices(10, 12345);
  EXPECT_EQ(p, data::shuffled_indices(10, 12345));
  EXPECT_NE(p, data::shuffled_indices(10, 12346));
  // Every position is equally likely to hold any element: over many seeds each
  // element lands in position 0 about 1/5 of the time.
  std::vector<int> first(5, 0);
  for (uint64_t s = 0; s < 5000; ++s) first[static_cast<size_t>(data::shuffled_indices(5, s)[0])]++;
  for (int c : first) EXPECT_NEAR(c, 1000, 150);  // ~5 standard deviations (sd = 28)
}

TEST_P(LoaderModes, TransformSeededPerBatchSameWithOrWithoutPrefetch) {
  auto noisy = [](Batch b, Generator& g) {
    b.data = b.data + rand(b.data.shape(), kFloat32, &g);
    return b;
  };
  DataLoaderOptions o{.batch_size = 3, .shuffle = true, .seed = 5, .prefetch = GetParam()};
  o.transform = noisy;
  DataLoaderOptions other = o;
  other.prefetch = !GetParam();
  DataLoader a(counting(10), o);
  DataLoader b(counting(10), other);
  std::vector<float> first_epoch;
  for (int epoch = 0; epoch < 2; ++epoch) {
    std::vector<float> va, vb;
    for (Batch& x : a) {
      const std::vector<float> v = x.data.to_vector<float>();
      va.insert(va.end(), v.begin(), v.end());
    }
    for (Batch& x : b) {
      const std::vector<float> v = x.data.to_vector<float>();
      vb.insert(vb.end(), v.begin(), v.end());
    }
    EXPECT_EQ(va, vb);
    if (epoch == 0)
      first_epoch = va;
    else
      EXPECT_NE(va, first_epoch);
  }
}

TEST_P(LoaderModes, ExplicitNextAndBatchCounts) {
  DataLoader loader(counting(5), {.batch_size = 2, .prefetch = GetParam()});
  EXPECT_THROWS_WITH(loader.next(*std::make_unique<Batch>()), "no epoch started");
  loader.start_epoch();
  Batch b;
  std::vector<int64_t> sizes;
  while (loader.next(b)) sizes.push_back(b.size());
  EXPECT_EQ(sizes, (std::vector<int64_t>{2, 2, 1}));
  EXPECT_FALSE(loader.next(b));  // stays at the end
}

// A dataset whose get() throws for one index.
class Faulty : public data::Dataset {
 public:
  explicit Faulty(int64_t bad) : bad_(bad) {}
  int64_t size() const override { return 20; }
  data::Example get(int64_t i) const override {
    GPUNN_CHECK(i != bad_, "Faulty: cannot read example ", i, " (corrupt record)");
    return {full({2}, static_cast<double>(i)), scalar_tensor(static_cast<double>(i), kInt64)};
  }

 private:
  int64_t bad_;
};

TEST_P(LoaderModes, ExceptionFromTheReaderReachesTheConsumer) {
  auto ds = std::make_shared<Faulty>(9);
  DataLoader loader(ds, {.batch_size = 4, .prefetch = GetParam()});
  std::vector<int64_t> seen;
  try {
    for (Batch& b : loader) {
      for (int64_t i : b.indices) seen.push_back(i);
    }
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read example 9"), std::string::npos) << e.what();
  }
  // Batches before the bad one arrive first, in order.
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  // The loader is usable again: a new epoch starts over (and fails the same way).
  EXPECT_THROWS_WITH(
      [&] {
        for (Batch& b : loader) (void)b;
      }(),
      "cannot read example 9");
  // A failing first batch throws from begin().
  DataLoader first(std::make_shared<Faulty>(0), {.batch_size = 4, .prefetch = GetParam()});
  EXPECT_THROWS_WITH(first.begin(), "cannot read example 0");
}

TEST_P(LoaderModes, ExceptionFromTheTransform) {
  DataLoaderOptions o{.batch_size = 4, .prefetch = GetParam()};
  o.transform = [](Batch b, Generator&) {
    if (b.indices[0] == 4) throw std::runtime_error("transform failed on batch 1");
    return b;
  };
  DataLoader loader(counting(12), o);
  int batches = 0;
  try {
    for (Batch& b : loader) {
      (void)b;
      ++batches;
    }
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "transform failed on batch 1");  // type and message kept
  }
  EXPECT_EQ(batches, 1);
}

TEST(DataLoader, EarlyDestructionAndAbandonedEpochs) {
  // A slow dataset so the worker is busy or blocked on a full queue when the
  // loader goes away; destruction must join it promptly without deadlock.
  class Slow : public data::Dataset {
   public:
    int64_t size() const override { return 1000; }
    data::Example get(int64_t i) const override {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      return {full({1}, static_cast<double>(i)), Tensor()};
    }
  };
  auto ds = std::make_shared<Slow>();
  const auto t0 = std::chrono::steady_clock::now();
  for (int trial = 0; trial < 5; ++trial) {
    DataLoader loader(ds, {.batch_size = 10, .prefetch_depth = 3});
    int n = 0;
    for (Batch& b : loader) {
      EXPECT_FALSE(b.target.defined());  // no targets: undefined, not empty
      if (++n == 2) break;
    }
    // Starting another epoch abandons the first mid-way.
    auto it = loader.begin();
    EXPECT_EQ(it->indices.front(), 0);
    ++it;
    EXPECT_EQ(it->indices.front(), 10);
  }  // destroyed mid-epoch, the worker blocked on the full queue or in get()
  {
    DataLoader never(ds, {.batch_size = 10});
    (void)never.begin();  // destroyed right after the worker starts
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(seconds, 5.0);  // a whole epoch would take ~0.2 s x 6; stopping is prompt
}

TEST(DataLoader, MoveAndOptionsChecks) {
  DataLoader a(counting(6), {.batch_size = 4});
  DataLoader b = std::move(a);
  EXPECT_EQ(epoch_batches(b).size(), 2u);
  EXPECT_THROWS_WITH(DataLoader(counting(3), {.batch_size = 0}), "DataLoader", "batch_size");
  EXPECT_THROWS_WITH(DataLoader(counting(3), {.prefetch_depth = 0}), "prefetch_depth");
  EXPECT_THROWS_WITH(DataLoader(std::shared_ptr<const data::Dataset>(), {}), "null");
  if (!cuda::is_available()) {  // with a GPU the loader delivers there (tests/cuda)
    EXPECT_THROWS_WITH(DataLoader(counting(3), {.device = Device::cuda(0)}), "DataLoader",
                       "cuda:0");
  }
  EXPECT_THROWS_WITH(b.set_epoch(-1), "set_epoch");
}

INSTANTIATE_TEST_SUITE_P(Prefetch, LoaderModes, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "On" : "Off"; });

// ---- datasets ---------------------------------------------------------------------------

TEST(TensorDataset, GetBatchGathersRows) {
  TensorDataset d = counting(6);
  EXPECT_EQ(d.size(), 6);
  data::Example e = d.get(4);
  EXPECT_TRUE(test::values_near(e.data, {4, 40}, 0));
  EXPECT_EQ(e.target.item<int64_t>(), 4);
  Batch b = d.get_batch({5, 0, 5});
  EXPECT_EQ(b.data.shape(), (Shape{3, 2}));
  EXPECT_TRUE(test::values_near(b.data, {5, 50, 0, 0, 5, 50}, 0));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{5, 0, 5}));
  EXPECT_EQ(d.get_batch({}).data.shape(), (Shape{0, 2}));
  EXPECT_THROWS_WITH(d.get_batch({0, 6}), "index 6", "6 examples");
  EXPECT_THROWS_WITH(d.get(-1), "TensorDataset::get", "index -1");
  EXPECT_THROWS_WITH(TensorDataset(zeros({3, 2}), zeros({4})), "TensorDataset", "[3, 2]", "[4]");
  // A non-contiguous source is stored contiguously and gathers the right rows.
  TensorDataset t(arange(12).reshape({3, 4}).t());  // [4, 3]
  EXPECT_TRUE(test::values_near(t.get_batch({1}).data, {1, 5, 9}, 0));
  EXPECT_TRUE(test::values_near(d.subset({3, 1}).data(), {3, 30, 1, 10}, 0));
}

// A dataset with only get(): exercises the default get_batch.
class Squares : public data::Dataset {
 public:
  int64_t size() const override { return 5; }
  data::Example get(int64_t i) const override {
    const auto v = static_cast<double>(i);
    return {tensor({v, v * v}, {2, 1}, kFloat64), scalar_tensor(v, kInt64)};
  }
};

TEST(Dataset, DefaultGetBatchAndSubset) {
  Squares s;
  Batch b = s.get_batch({3, 1});
  EXPECT_EQ(b.data.shape(), (Shape{2, 2, 1}));
  EXPECT_TRUE(test::values_near(b.data, {3, 9, 1, 1}, 0));
  EXPECT_EQ(b.target.shape(), (Shape{2}));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{3, 1}));
  EXPECT_THROWS_WITH(s.get_batch({}), "get_batch", "no indices");
  EXPECT_THROWS_WITH(s.get_batch({7}), "index 7");

  data::Subset sub(std::make_shared<Squares>(), {4, 2});
  EXPECT_EQ(sub.size(), 2);
  EXPECT_EQ(sub.get(0).target.item<int64_t>(), 4);
  Batch sb = sub.get_batch({1, 0});
  EXPECT_EQ(sb.indices, (std::vector<int64_t>{1, 0}));  // indices into the subset
  EXPECT_EQ(sb.target.to_vector<int64_t>(), (std::vector<int64_t>{2, 4}));
  EXPECT_THROWS_WITH(data::Subset(std::make_shared<Squares>(), {5}), "Subset", "index 5");

  // Examples of different shapes cannot share a batch.
  class Ragged : public data::Dataset {
   public:
    int64_t size() const override { return 2; }
    data::Example get(int64_t i) const override { return {zeros({i + 1}), Tensor()}; }
  };
  EXPECT_THROWS_WITH(Ragged().get_batch({0, 1}), "get_batch", "example 1", "[2]", "[1]");
}

// A dataset that counts the host batches asked of it, to see which path a caller took.
class CountingSquares : public Squares {
 public:
  mutable int host_batches = 0;
  Batch get_batch(const std::vector<int64_t>& indices) const override {
    ++host_batches;
    return Squares::get_batch(indices);
  }
};

TEST(Dataset, HostDatasetsLiveOnTheCpuAndGatherThroughGetBatch) {
  EXPECT_EQ(counting(3).device(), kCPU);
  CountingSquares s;
  EXPECT_EQ(s.device(), kCPU);
  const Batch b = s.gather(tensor_from(std::vector<int64_t>{4, 0}, {2}), {4, 0});
  EXPECT_EQ(s.host_batches, 1);
  EXPECT_EQ(b.indices, (std::vector<int64_t>{4, 0}));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{4, 0}));
  // The loader over a host dataset keeps the host shuffle: DataLoader.ShuffleOrderIsPinned.
}

// ---- device-resident datasets (GPU) --------------------------------------------------------

const Device kCuda0 = Device::cuda(0);

TensorDataset counting_on(int64_t n, Device d) {
  const TensorDataset host = counting(n);
  return TensorDataset(host.data().to(d), host.target().to(d));
}

TEST(CudaLoader, DeviceResidentDatasetIsShuffledAndGatheredOnTheDevice) {
  GPUNN_REQUIRE_GPU();
  const int64_t n = 103;
  const TensorDataset d = counting_on(n, kCuda0);
  EXPECT_EQ(d.device(), kCuda0);
  for (const bool prefetch : {false, true}) {
    SCOPED_TRACE(prefetch ? "prefetch" : "no prefetch");
    DataLoader loader(
        d, {.batch_size = 16, .shuffle = true, .seed = 5, .prefetch = prefetch, .device = kCuda0});
    for (int64_t epoch = 0; epoch < 2; ++epoch) {
      std::vector<int64_t> seen;
      for (Batch& b : loader) {
        EXPECT_EQ(b.data.device(), kCuda0);
        EXPECT_EQ(b.target.device(), kCuda0);
        // Row i is [i, 10 i] with target i: the gathered rows match the indices.
        const std::vector<int64_t> t = b.target.to(kCPU).to_vector<int64_t>();
        EXPECT_EQ(t, b.indices);
        const std::vector<float> x = b.data.to(kCPU).to_vector<float>();
        for (size_t i = 0; i < t.size(); ++i)
          EXPECT_EQ(x[2 * i + 1], 10.0f * static_cast<float>(t[i]));
        seen.insert(seen.end(), t.begin(), t.end());
      }
      EXPECT_EQ(seen, loader.epoch_order(epoch));
      std::vector<int64_t> sorted = seen;
      std::sort(sorted.begin(), sorted.end());
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(sorted[static_cast<size_t>(i)], i);
    }
    EXPECT_NE(loader.epoch_order(0), loader.epoch_order(1));
  }
  // The permutation is randperm's for the epoch's key: the CPU computes the same one.
  DataLoader a(d, {.batch_size = 16, .shuffle = true, .seed = 5, .device = kCuda0});
  DataLoader b(counting_on(n, kCuda0), {.batch_size = 16, .shuffle = true, .seed = 5});
  EXPECT_EQ(a.epoch_order(3), b.epoch_order(3));
}

TEST(CudaLoader, DeviceResidentUnshuffledSubsetAndDeliveryElsewhere) {
  GPUNN_REQUIRE_GPU();
  const auto d = std::make_shared<const TensorDataset>(counting_on(20, kCuda0));
  // Unshuffled: 0..n-1; delivered to the CPU when asked.
  DataLoader loader(d, {.batch_size = 6, .device = kCPU});
  std::vector<int64_t> seen;
  for (Batch& b : loader) {
    EXPECT_EQ(b.data.device(), kCPU);
    const std::vector<int64_t> t = b.target.to_vector<int64_t>();
    seen.insert(seen.end(), t.begin(), t.end());
  }
  std::vector<int64_t> want(20);
  for (int64_t i = 0; i < 20; ++i) want[static_cast<size_t>(i)] = i;
  EXPECT_EQ(seen, want);
  // A Subset of it lives there too and gathers through TensorDataset::get_batch.
  data::Subset sub(d, {19, 2, 7});
  EXPECT_EQ(sub.device(), kCuda0);
  const Batch sb = sub.get_batch({2, 0});
  EXPECT_EQ(sb.target.device(), kCuda0);
  EXPECT_EQ(sb.target.to(kCPU).to_vector<int64_t>(), (std::vector<int64_t>{7, 19}));
  EXPECT_THROWS_WITH(data::gather_rows(d->data(), {20}), "gather_rows", "index 20", "20 examples");
  EXPECT_THROWS_WITH(TensorDataset(zeros({3, 2}, kCuda0), zeros({3})), "TensorDataset", "cuda:0",
                     "cpu");
}

TEST(DataLoader, EpochOverFashionMnistSizedDataIsCheap) {
  // 60000 examples of 784 float32: one epoch of batch-64 batches, shuffled,
  // with prefetch. Reported for docs/data.md; the bound only catches pathologies.
  TensorDataset d(zeros({60000, 1, 28, 28}), zeros({60000}, kInt64));
  DataLoader loader(d, {.batch_size = 64, .shuffle = true, .seed = 1});
  const auto t0 = std::chrono::steady_clock::now();
  int64_t seen = 0;
  for (Batch& b : loader) seen += b.size();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "[ info ] one shuffled epoch of 938 batch-64 batches (60000 x 784 float32): "
            << seconds << " s\n";
  EXPECT_EQ(seen, 60000);
  EXPECT_LT(seconds, 5.0);
}

}  // namespace
}  // namespace gpunn
