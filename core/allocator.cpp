// Host allocation with statistics, and storage for new tensors.
//
// Note [cached host blocks]
// A training step allocates and frees the same large buffers (activations,
// gradients) every iteration. From the system allocator, each large buffer is
// fresh memory from the kernel: every 4 KiB page faults on first touch, which
// cost about a tenth of a CNN training step. So blocks of at least
// kCachedMinBytes are kept on free for reuse by a request of the same rounded
// size, up to kCacheLimitBytes in all (beyond that the oldest-freed go back
// to the system). empty_cache() returns them all.
#include "core/allocator.h"

#include <gpunn/error.h>
#include <gpunn/memory.h>
#include <gpunn/testing/poison.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <new>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/environment.h"
#include "core/tensor_impl.h"

#if GPUNN_WITH_CUDA
#include "core/cuda/context.h"
#endif
#include <gpunn/cuda.h>

namespace gpunn {
namespace {

constexpr size_t kAlignment = 64;  // a cache line; enough for any SIMD load

struct CpuStats {
  std::atomic<int64_t> allocated{0};
  std::atomic<int64_t> peak{0};
  std::atomic<int64_t> count{0};
  // set_memory_limit(kCPU, ...): bytes held by tensors may not pass it (0: no limit).
  std::atomic<int64_t> limit{env::memory_limit_bytes()};
};

CpuStats& cpu_stats() {
  static CpuStats stats;
  return stats;
}

// The meta device's simulated allocator: it holds no memory and counts the bytes the
// modelled device's allocator would count for the same requests (meta_allocation_model).
struct MetaStats {
  std::atomic<int64_t> allocated{0};
  std::atomic<int64_t> peak{0};
  std::atomic<int64_t> count{0};
  std::atomic<int64_t> round{1};  // bytes counted per request: a multiple of this
  std::atomic<int64_t> minimum{0};
  std::atomic<int> model_index{-1};  // the modelled device: -1 the CPU, else CUDA index
};

MetaStats& meta_stats() {
  static MetaStats stats;
  return stats;
}

thread_local int meta_tag = 0;

// Live meta bytes by tag (memory.h's detail::set_meta_allocation_tag).
struct MetaTags {
  std::mutex mutex;
  std::unordered_map<int, int64_t> bytes;
};
MetaTags& meta_tags() {
  static MetaTags* tags = new MetaTags;  // never destroyed: storages may outlive statics
  return *tags;
}

int64_t meta_counted_bytes(size_t nbytes) {
  const MetaStats& s = meta_stats();
  const int64_t round = s.round.load(), n = static_cast<int64_t>(nbytes);
  return std::max(s.minimum.load(), (n + round - 1) / round * round);
}

constexpr size_t kCachedMinBytes = size_t{256} << 10;  // 256 KiB
constexpr size_t kCacheLimitBytes = size_t{1} << 30;   // 1 GiB
constexpr size_t kPage = 4096;

// Free large blocks by rounded size, plus their order of freeing for eviction.
class BlockCache {
 public:
  void* take(size_t bytes) {
    std::lock_guard lock(mutex_);
    auto it = by_size_.find(bytes);
    if (it == by_size_.end() || it->second.empty()) return nullptr;
    const auto order_it = it->second.back();
    it->second.pop_back();
    void* p = order_it->second;
    order_.erase(order_it);
    cached_ -= bytes;
    return p;
  }

  // Keeps p (false when it is better given back: small, or larger than the limit).
  bool put(void* p, size_t bytes) {
    if (bytes < kCachedMinBytes || bytes > kCacheLimitBytes) return false;
    std::vector<std::pair<size_t, void*>> evicted;
    {
      std::lock_guard lock(mutex_);
      order_.emplace_back(bytes, p);
      by_size_[bytes].push_back(std::prev(order_.end()));
      cached_ += bytes;
      while (cached_ > kCacheLimitBytes) evicted.push_back(pop_oldest());
    }
    for (auto& [size, ptr] : evicted) std::free(ptr);
    return true;
  }

  void clear() {
    std::vector<std::pair<size_t, void*>> evicted;
    {
      std::lock_guard lock(mutex_);
      while (!order_.empty()) evicted.push_back(pop_oldest());
    }
    for (auto& [size, ptr] : evicted) std::free(ptr);
  }

 private:
  using Order = std::list<std::pair<size_t, void*>>;

  std::pair<size_t, void*> pop_oldest() {
    const auto block = order_.front();
    auto& same = by_size_[block.first];
    same.erase(std::find(same.begin(), same.end(), order_.begin()));
    order_.pop_front();
    cached_ -= block.first;
    return block;
  }

  std::mutex mutex_;
  Order order_;  // oldest freed first
  std::unordered_map<size_t, std::vector<Order::iterator>> by_size_;
  size_t cached_ = 0;
};

BlockCache& block_cache() {
  // Never destroyed: tensors in static storage may be freed after it would be.
  static BlockCache* cache = new BlockCache;
  return *cache;
}

// The size actually requested from the system for nbytes.
size_t padded_size(size_t nbytes) {
  const size_t unit = nbytes >= kCachedMinBytes ? kPage : kAlignment;
  return std::max(kAlignment, (nbytes + unit - 1) / unit * unit);
}

}  // namespace

void* cpu_allocate(size_t nbytes) {
  // Round up: aligned_alloc needs a multiple of the alignment; 0 bytes still
  // gets a unique pointer so that every storage owns something.
  // Large sizes round to whole pages, so that cached blocks match more requests.
  const size_t padded = padded_size(nbytes);
  if (padded < nbytes) {  // the rounding overflowed
    throw OutOfMemoryError(detail::concat("cpu allocator: cannot allocate ", nbytes, " bytes"));
  }
  CpuStats& stats = cpu_stats();
  // The limit is checked with the bytes counted in, so that threads allocating at once
  // cannot pass it together; a refused or failed request takes them out again.
  const int64_t held =
      stats.allocated.fetch_add(static_cast<int64_t>(nbytes)) + static_cast<int64_t>(nbytes);
  const int64_t limit = stats.limit.load();
  if (limit > 0 && held > limit) {
    stats.allocated.fetch_sub(static_cast<int64_t>(nbytes));
    throw OutOfMemoryError(detail::concat(
        "cpu allocator: allocating ", nbytes, " bytes would pass the memory limit of ", limit,
        " bytes (set_memory_limit or GPUNN_MEMORY_LIMIT; ", held - static_cast<int64_t>(nbytes),
        " bytes held by gpunn tensors)"));
  }
  void* p = block_cache().take(padded);
  if (p == nullptr) p = std::aligned_alloc(kAlignment, padded);
  if (p == nullptr) {
    // Cached blocks of other sizes may be what the system lacks.
    block_cache().clear();
    p = std::aligned_alloc(kAlignment, padded);
  }
  if (p == nullptr) {
    stats.allocated.fetch_sub(static_cast<int64_t>(nbytes));
    throw OutOfMemoryError(detail::concat("cpu allocator: out of memory allocating ", nbytes,
                                          " bytes (", stats.allocated.load(),
                                          " bytes held by gpunn tensors)"));
  }
  int64_t peak = stats.peak.load();
  while (held > peak && !stats.peak.compare_exchange_weak(peak, held)) {
  }
  stats.count.fetch_add(1);
  return p;
}

void cpu_free(void* ptr, size_t nbytes) {
  if (ptr == nullptr) return;
  if (!block_cache().put(ptr, padded_size(nbytes))) std::free(ptr);
  cpu_stats().allocated.fetch_sub(static_cast<int64_t>(nbytes));
}

namespace {
void check_cuda_device(const char* op, Device device);
}  // namespace

void set_meta_allocator_model(Device device) {
  GPUNN_CHECK(!device.is_meta(), "set_meta_allocator_model: expected the CPU or a CUDA device");
  MetaStats& s = meta_stats();
  s.model_index.store(device.is_cuda() ? device.index : -1);
  if (device.is_cuda()) {
    // The caching allocator counts whole blocks of 512 bytes (core/cuda/caching_allocator.h).
    s.round.store(512);
    s.minimum.store(512);
  } else {
    s.round.store(1);  // the host allocator counts the bytes asked for
    s.minimum.store(0);
  }
}

namespace detail {
int set_meta_allocation_tag(int tag) {
  const int previous = meta_tag;
  meta_tag = tag;
  return previous;
}

std::vector<std::pair<int, int64_t>> meta_bytes_by_tag() {
  std::lock_guard lock(meta_tags().mutex);
  std::vector<std::pair<int, int64_t>> out;
  for (const auto& [tag, bytes] : meta_tags().bytes)
    if (bytes != 0) out.emplace_back(tag, bytes);
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace detail

Device meta_allocator_model() {
  const int index = meta_stats().model_index.load();
  return index < 0 ? kCPU : Device::cuda(index);
}

void check_device_available(const char* op, Device device) {
  if (device.is_cuda()) check_cuda_device(op, device);  // the CPU and meta always are
}

namespace {

void check_cuda_device(const char* op, Device device) {
#if GPUNN_WITH_CUDA
  const char* why = ")";
#else
  const char* why = "; this build of gpunn has no CUDA backend)";
#endif
  const int n = cuda::device_count();
  GPUNN_CHECK(device.index >= 0 && device.index < n, op, ": device ", device.str(),
              " is not available (", n, " CUDA device", n == 1 ? "" : "s", " usable", why);
}

}  // namespace

namespace {
std::atomic<int> poison_scopes{0};
}  // namespace

namespace testing {
PoisonNewTensors::PoisonNewTensors() { poison_scopes.fetch_add(1); }
PoisonNewTensors::~PoisonNewTensors() { poison_scopes.fetch_sub(1); }
bool poisoning_new_tensors() { return poison_scopes.load(std::memory_order_relaxed) > 0; }
}  // namespace testing

std::shared_ptr<Storage> allocate_storage(size_t nbytes, Device device) {
  if (device.is_meta()) {
    MetaStats& s = meta_stats();
    const int64_t counted = meta_counted_bytes(nbytes);
    const int64_t held = s.allocated.fetch_add(counted) + counted;
    int64_t peak = s.peak.load();
    while (held > peak && !s.peak.compare_exchange_weak(peak, held)) {
    }
    s.count.fetch_add(1);
    const int tag = meta_tag;
    {
      std::lock_guard lock(meta_tags().mutex);
      meta_tags().bytes[tag] += counted;
    }
    return std::make_shared<Storage>(nullptr, nbytes, device, [counted, tag](void*) {
      meta_stats().allocated.fetch_sub(counted);
      std::lock_guard lock(meta_tags().mutex);
      meta_tags().bytes[tag] -= counted;
    });
  }
  const bool poison = testing::poisoning_new_tensors();
  if (device.is_cuda()) {
    check_cuda_device("allocate", device);
#if GPUNN_WITH_CUDA
    cuda::CachingAllocator& a = cuda::allocator(device.index);
    void* p = a.allocate(nbytes);
    auto storage = std::make_shared<Storage>(p, nbytes, device, [&a](void* ptr) { a.free(ptr); });
    if (poison && nbytes > 0) {
      cuda::DeviceGuard guard(device.index);
      GPUNN_CUDA_CHECK(cudaMemsetAsync(p, 0xFF, nbytes, cuda::device_stream(device.index)));
    }
    return storage;
#endif
  }
  void* p = cpu_allocate(nbytes);
  if (poison) std::memset(p, 0xFF, nbytes);
  return std::make_shared<Storage>(p, nbytes, device,
                                   [nbytes](void* ptr) { cpu_free(ptr, nbytes); });
}

MemoryStats memory_stats(Device device) {
  if (device.is_meta()) {
    const MetaStats& s = meta_stats();
    MemoryStats m;
    m.allocated_bytes = m.reserved_bytes = s.allocated.load();
    m.peak_allocated_bytes = m.peak_reserved_bytes = s.peak.load();
    m.num_allocations = s.count.load();
    return m;
  }
  if (device.is_cuda()) {
    check_cuda_device("memory_stats", device);
#if GPUNN_WITH_CUDA
    const cuda::CacheStats c = cuda::allocator(device.index).stats();
    MemoryStats m;
    m.allocated_bytes = c.allocated_bytes;
    m.peak_allocated_bytes = c.peak_allocated_bytes;
    m.num_allocations = c.num_allocations;
    m.reserved_bytes = c.reserved_bytes;
    m.peak_reserved_bytes = c.peak_reserved_bytes;
    m.num_device_allocations = c.num_device_allocations;
    m.num_device_frees = c.num_device_frees;
    return m;
#endif
  }
  CpuStats& s = cpu_stats();
  MemoryStats m;
  m.allocated_bytes = m.reserved_bytes = s.allocated.load();
  m.peak_allocated_bytes = m.peak_reserved_bytes = s.peak.load();
  m.num_allocations = s.count.load();
  return m;
}

void empty_cache(Device device) {
  if (device.is_meta()) return;  // it caches nothing
  if (device.is_cuda()) {
    check_cuda_device("empty_cache", device);
#if GPUNN_WITH_CUDA
    cuda::allocator(device.index).empty_cache();
#endif
    return;
  }
  block_cache().clear();
}

void empty_cache() {
  empty_cache(kCPU);
  for (int i = 0; i < cuda::device_count(); ++i) empty_cache(Device::cuda(i));
}

void set_memory_limit(Device device, int64_t bytes) {
  const int64_t limit = std::max<int64_t>(bytes, 0);
  GPUNN_CHECK(!device.is_meta(), "set_memory_limit: the meta device holds no memory");
  if (device.is_cuda()) {
    check_cuda_device("set_memory_limit", device);
#if GPUNN_WITH_CUDA
    cuda::allocator(device.index).set_limit(static_cast<size_t>(limit));
#endif
    return;
  }
  cpu_stats().limit.store(limit);
}

int64_t memory_limit(Device device) {
  if (device.is_meta()) return 0;
  if (device.is_cuda()) {
    check_cuda_device("memory_limit", device);
#if GPUNN_WITH_CUDA
    return static_cast<int64_t>(cuda::allocator(device.index).limit());
#endif
  }
  return cpu_stats().limit.load();
}

void reset_peak_memory_stats(Device device) {
  if (device.is_meta()) {
    MetaStats& s = meta_stats();
    s.peak.store(s.allocated.load());
    return;
  }
  if (device.is_cuda()) {
    check_cuda_device("reset_peak_memory_stats", device);
#if GPUNN_WITH_CUDA
    cuda::allocator(device.index).reset_peak_stats();
    return;
#endif
  }
  CpuStats& s = cpu_stats();
  s.peak.store(s.allocated.load());
}

}  // namespace gpunn
