// The CUDA caching allocator's logic, run on the CPU against a fake device
// with a fixed capacity (the CUDA runtime is not involved).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "core/cuda/caching_allocator.h"
#include "test_util.h"

namespace gpunn::cuda {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

class FakeDevice final : public DeviceMemory {
 public:
  struct Log {
    size_t capacity = 0;
    size_t used = 0;
    int allocations = 0;
    int frees = 0;
    std::set<void*> live;
  };
  explicit FakeDevice(Log* log) : log_(log) {}
  void* allocate(size_t n) override {
    if (log_->used + n > log_->capacity) return nullptr;
    void* p = std::malloc(n);
    log_->used += n;
    log_->allocations += 1;
    log_->live.insert(p);
    sizes_[p] = n;
    return p;
  }
  void deallocate(void* p) override {
    EXPECT_EQ(log_->live.erase(p), 1u) << "double or unknown free";
    log_->used -= sizes_[p];
    log_->frees += 1;
    std::free(p);
  }
  void mem_info(size_t* free_bytes, size_t* total) override {
    *free_bytes = log_->capacity - log_->used;
    *total = log_->capacity;
  }
  std::string name() const override { return "fake:0"; }

 private:
  Log* log_;
  std::unordered_map<void*, size_t> sizes_;
};

CachingAllocator make(FakeDevice::Log* log, size_t capacity, bool caching = true) {
  log->capacity = capacity;
  return CachingAllocator(std::make_unique<FakeDevice>(log), caching);
}

TEST(CachingAllocator, RoundsAndPicksSegments) {
  EXPECT_EQ(CachingAllocator::round_size(0), 512u);
  EXPECT_EQ(CachingAllocator::round_size(1), 512u);
  EXPECT_EQ(CachingAllocator::round_size(513), 1024u);
  EXPECT_EQ(CachingAllocator::segment_size(512), 2 * kMiB);
  EXPECT_EQ(CachingAllocator::segment_size(kMiB), 2 * kMiB);
  EXPECT_EQ(CachingAllocator::segment_size(kMiB + 512), 20 * kMiB);
  EXPECT_EQ(CachingAllocator::segment_size(10 * kMiB), 10 * kMiB);
  EXPECT_EQ(CachingAllocator::segment_size(10 * kMiB + 1), 12 * kMiB);
}

TEST(CachingAllocator, ReusesFreedBlocksWithoutTheDevice) {
  FakeDevice::Log log;
  CachingAllocator a = make(&log, 100 * kMiB);
  for (int step = 0; step < 100; ++step) {
    void* x = a.allocate(4000);
    void* y = a.allocate(3 * kMiB);
    std::memset(x, 1, 4000);
    a.free(x);
    a.free(y);
  }
  EXPECT_EQ(log.allocations, 2);  // one small and one mid segment, then only reuse
  const CacheStats s = a.stats();
  EXPECT_EQ(s.num_allocations, 200);
  EXPECT_EQ(s.num_device_allocations, 2);
  EXPECT_EQ(s.allocated_bytes, 0);
  EXPECT_EQ(s.reserved_bytes, static_cast<int64_t>(22 * kMiB));
  EXPECT_EQ(s.peak_allocated_bytes, static_cast<int64_t>(4096 + 3 * kMiB));
}

TEST(CachingAllocator, SplitsAndMergesWithinASegment) {
  FakeDevice::Log log;
  CachingAllocator a = make(&log, 100 * kMiB);
  char* x = static_cast<char*>(a.allocate(1000));
  char* y = static_cast<char*>(a.allocate(1000));
  char* z = static_cast<char*>(a.allocate(1000));
  EXPECT_EQ(log.allocations, 1);
  EXPECT_EQ(y, x + 1024);  // carved from the same segment, in order
  EXPECT_EQ(z, y + 1024);
  a.free(y);
  EXPECT_EQ(a.allocate(600), y);  // best fit: the hole
  a.free(y);
  a.free(x);
  a.free(z);
  // Everything merged back: the whole 2 MiB segment serves one request.
  void* big = a.allocate(kMiB);
  EXPECT_EQ(big, x);
  EXPECT_EQ(log.allocations, 1);
  a.free(big);
  a.empty_cache();
  EXPECT_EQ(log.frees, 1);
  EXPECT_TRUE(log.live.empty());
  EXPECT_EQ(a.stats().reserved_bytes, 0);
}

TEST(CachingAllocator, EmptyCacheKeepsSegmentsInUse) {
  FakeDevice::Log log;
  CachingAllocator a = make(&log, 100 * kMiB);
  void* x = a.allocate(100);
  void* y = a.allocate(15 * kMiB);
  a.free(y);
  a.empty_cache();
  EXPECT_EQ(log.frees, 1);  // the large segment; the small one still holds x
  EXPECT_EQ(log.live.size(), 1u);
  a.free(x);
}

TEST(CachingAllocator, OutOfMemoryFreesTheCacheRetriesThenThrows) {
  FakeDevice::Log log;
  CachingAllocator a = make(&log, 40 * kMiB);
  // Fill the cache with free 20 MiB segments that cannot serve a 30 MiB request.
  void* p = a.allocate(12 * kMiB);
  void* q = a.allocate(20 * kMiB);
  a.free(p);
  a.free(q);
  EXPECT_EQ(log.used, 32 * kMiB);
  void* big = a.allocate(30 * kMiB);  // succeeds after the cache is given back
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(log.used, 30 * kMiB);
  try {
    a.allocate(20 * kMiB);
    FAIL() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("fake:0"), std::string::npos) << msg;
    EXPECT_NE(msg.find("allocating 20971520 bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("31457280 bytes in use"), std::string::npos) << msg;
    EXPECT_NE(msg.find("10485760 bytes free of 41943040"), std::string::npos) << msg;
  }
  EXPECT_EQ(a.stats().num_ooms, 1);
  // Still consistent and usable afterwards.
  a.free(big);
  void* again = a.allocate(20 * kMiB);
  EXPECT_NE(again, nullptr);
  a.free(again);
}

// set_limit (set_memory_limit on a CUDA device): segments past the limit are refused even
// though the device has room; the cache's free segments are given back first; the error
// names the limit; lifting it restores the device's capacity.
TEST(CachingAllocator, MemoryLimitCapsReservedBytes) {
  FakeDevice::Log log;
  CachingAllocator a = make(&log, 100 * kMiB);
  a.set_limit(24 * kMiB);
  EXPECT_EQ(a.limit(), 24 * kMiB);
  void* p = a.allocate(12 * kMiB);  // a 20 MiB segment
  a.free(p);                        // cached
  void* q = a.allocate(22 * kMiB);  // needs a 22 MiB segment: the cached one goes back first
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(log.used, 22 * kMiB);
  try {
    a.allocate(4 * kMiB);  // 22 + 20 MiB would pass 24 MiB; the device has 78 free
    FAIL() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("allocating 4194304 bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("memory limit of 25165824 bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("23068672 bytes reserved"), std::string::npos) << msg;
  }
  void* small = a.allocate(1000);  // a 2 MiB segment still fits
  EXPECT_NE(small, nullptr);
  a.set_limit(0);
  void* r = a.allocate(30 * kMiB);
  EXPECT_NE(r, nullptr);
  a.free(small);
  a.free(q);
  a.free(r);

  // Without caching, every request counts against the limit directly.
  FakeDevice::Log log2;
  CachingAllocator b = make(&log2, 100 * kMiB, /*caching=*/false);
  b.set_limit(kMiB);
  void* x = b.allocate(600 * 1024);
  EXPECT_THROW(b.allocate(600 * 1024), OutOfMemoryError);
  b.free(x);
  EXPECT_NE(b.allocate(600 * 1024), nullptr);
}

TEST(CachingAllocator, WithoutCachingEveryRequestGoesToTheDevice) {
  FakeDevice::Log log;
  CachingAllocator a = make(&log, 10 * kMiB, /*caching=*/false);
  void* x = a.allocate(100);
  EXPECT_EQ(log.used, 100u);  // exact size: out-of-bounds accesses are visible
  a.free(x);
  EXPECT_EQ(log.frees, 1);
  EXPECT_THROW(a.allocate(11 * kMiB), OutOfMemoryError);
  EXPECT_EQ(a.stats().allocated_bytes, 0);
}

TEST(CachingAllocator, UnknownPointerIsAnInternalError) {
  FakeDevice::Log log;
  CachingAllocator a = make(&log, 10 * kMiB);
  int local = 0;
  EXPECT_THROW(a.free(&local), InternalError);
  a.free(nullptr);  // ignored
}

TEST(CachingAllocator, ThreadSafe) {
  FakeDevice::Log log;
  CachingAllocator a = make(&log, 512 * kMiB);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::vector<void*> held;
      for (int i = 0; i < 500; ++i) {
        held.push_back(a.allocate(static_cast<size_t>(512 * (1 + (i * 7 + t) % 64))));
        if (held.size() > 8) {
          a.free(held.front());
          held.erase(held.begin());
        }
      }
      for (void* p : held) a.free(p);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(a.stats().allocated_bytes, 0);
  EXPECT_EQ(a.stats().num_allocations, 2000);
  a.empty_cache();
  EXPECT_TRUE(log.live.empty());
}

}  // namespace
}  // namespace gpunn::cuda
