// The device memory cache behind every CUDA tensor. Private to libgpunn.
//
// Training loops allocate and free the same sizes every step; asking the driver
// each time (cudaMalloc/cudaFree synchronize the device) would dominate small
// steps. The cache asks the driver for segments and carves them into blocks:
//
//   requests are rounded up to 512 bytes;
//   small requests (≤ 1 MiB) come from 2 MiB segments, mid-size ones (< 10 MiB)
//     from 20 MiB segments, big ones from a segment of their own (rounded to
//     2 MiB), kept in two pools so small blocks do not fragment big segments;
//   a request takes the smallest free block that fits (best fit, lowest address
//     on ties) and splits off the rest when the rest is worth keeping (≥ 512 bytes
//     in the small pool, > 1 MiB in the large one);
//   a freed block merges with free neighbours of its segment and goes back to
//     its pool; memory returns to the driver only in empty_cache() or when an
//     allocation fails: then every wholly free segment is released and the
//     request retried once before OutOfMemoryError (requested, in use, reserved,
//     free on the device) is thrown; the cache stays consistent and usable.
//
// With caching off (GPUNN_CUDA_NO_CACHE=1) every request goes to the driver at
// its exact size and every free returns it, so compute-sanitizer sees each
// out-of-bounds access at the buffer's true end.
//
// The driver is behind DeviceMemory, so the logic runs (and is tested) on the
// CPU with a fake device. All operations are thread-safe. Blocks are used on one
// stream per device (gpunn's ops run on the device's stream), so a freed block
// is reusable at once in stream order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

namespace gpunn::cuda {

// What the cache needs from a device.
class DeviceMemory {
 public:
  virtual ~DeviceMemory() = default;
  // nullptr when the device is out of memory (other failures throw).
  virtual void* allocate(size_t nbytes) = 0;
  virtual void deallocate(void* ptr) = 0;
  // Free and total bytes on the device, for error messages.
  virtual void mem_info(size_t* free_bytes, size_t* total_bytes) = 0;
  // Names the device in messages, e.g. "cuda:0".
  virtual std::string name() const = 0;
};

struct CacheStats {
  int64_t allocated_bytes = 0;       // in blocks held by tensors now (rounded sizes)
  int64_t peak_allocated_bytes = 0;  // the most held at once since the last reset
  int64_t requested_bytes = 0;       // what callers asked for, now held
  int64_t reserved_bytes = 0;        // in segments obtained from the driver
  int64_t peak_reserved_bytes = 0;
  int64_t num_allocations = 0;         // requests served since start
  int64_t num_device_allocations = 0;  // driver allocations since start
  int64_t num_device_frees = 0;        // driver frees since start
  int64_t num_ooms = 0;                // requests that failed even after emptying the cache
};

class CachingAllocator {
 public:
  static constexpr size_t kRound = 512;
  static constexpr size_t kSmallRequest = size_t{1} << 20;  // ≤ this: small pool
  static constexpr size_t kSmallSegment = size_t{2} << 20;
  static constexpr size_t kMidRequest = size_t{10} << 20;  // < this: 20 MiB segments
  static constexpr size_t kMidSegment = size_t{20} << 20;
  static constexpr size_t kLargeRound = size_t{2} << 20;

  explicit CachingAllocator(std::unique_ptr<DeviceMemory> device, bool caching = true);
  ~CachingAllocator();  // returns every segment to the device
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // A block of at least nbytes (0 gives a unique small block); throws
  // gpunn::OutOfMemoryError when the device cannot serve it.
  void* allocate(size_t nbytes);
  // Returns a block from allocate(); nullptr is ignored; an unknown pointer
  // raises gpunn::InternalError.
  void free(void* ptr);
  // Releases every wholly free segment to the device.
  void empty_cache();

  CacheStats stats() const;
  void reset_peak_stats();
  // A cap on the bytes reserved from the device (0: none; gpunn/memory.h's
  // set_memory_limit). A request that needs a segment past it first releases the free
  // segments, then fails with gpunn::OutOfMemoryError naming the limit.
  void set_limit(size_t bytes);
  size_t limit() const;
  bool caching() const { return caching_; }

  // Rounded size for a request (exposed for tests).
  static size_t round_size(size_t nbytes);
  // Size of the segment the cache asks for to serve `rounded`.
  static size_t segment_size(size_t rounded);

 private:
  struct Block {
    char* ptr = nullptr;
    size_t size = 0;
    size_t requested = 0;
    bool allocated = false;
    bool small = false;
    Block* prev = nullptr;  // neighbours within the same segment
    Block* next = nullptr;
  };
  struct BySize {
    bool operator()(const Block* a, const Block* b) const {
      return a->size != b->size ? a->size < b->size : a->ptr < b->ptr;
    }
  };
  using Pool = std::set<Block*, BySize>;

  Pool& pool_for(bool small) { return small ? small_free_ : large_free_; }
  Block* find_free(size_t rounded, bool small);
  Block* new_segment(size_t rounded, bool small);  // nullptr when the device is full
  void release_free_segments();                    // with mu_ held
  bool within_limit(size_t size);                  // with mu_ held; notes a refusal
  [[noreturn]] void throw_oom(size_t nbytes);
  void note_allocated(Block* b, size_t nbytes);

  std::unique_ptr<DeviceMemory> device_;
  const bool caching_;
  mutable std::mutex mu_;
  size_t limit_ = 0;               // with mu_ held
  bool refused_by_limit_ = false;  // the last refusal was the limit's (for the message)
  Pool small_free_, large_free_;
  std::unordered_map<void*, Block*> active_;
  std::unordered_map<void*, size_t> uncached_;  // caching off: ptr -> size
  CacheStats stats_;
};

}  // namespace gpunn::cuda
