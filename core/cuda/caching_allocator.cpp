// CachingAllocator (core/cuda/caching_allocator.h). Plain C++: no CUDA here.
#include "core/cuda/caching_allocator.h"

#include <gpunn/error.h>

#include <algorithm>
#include <vector>

namespace gpunn::cuda {

CachingAllocator::CachingAllocator(std::unique_ptr<DeviceMemory> device, bool caching)
    : device_(std::move(device)), caching_(caching) {}

CachingAllocator::~CachingAllocator() {
  std::lock_guard<std::mutex> lock(mu_);
  // Tensors outlive the allocator only at process exit; give everything back.
  for (auto& [ptr, size] : uncached_) device_->deallocate(ptr);
  std::vector<Block*> all;
  for (Pool* pool : {&small_free_, &large_free_})
    for (Block* b : *pool) all.push_back(b);
  for (auto& [ptr, b] : active_) all.push_back(b);
  std::vector<char*> segments;
  for (Block* b : all)
    if (!b->prev) segments.push_back(b->ptr);
  for (Block* b : all) delete b;
  for (char* s : segments) device_->deallocate(s);
}

size_t CachingAllocator::round_size(size_t nbytes) {
  if (nbytes == 0) return kRound;
  GPUNN_CHECK(nbytes <= SIZE_MAX - kRound, "cuda allocator: cannot allocate ", nbytes, " bytes");
  return (nbytes + kRound - 1) / kRound * kRound;
}

size_t CachingAllocator::segment_size(size_t rounded) {
  if (rounded <= kSmallRequest) return kSmallSegment;
  if (rounded < kMidRequest) return kMidSegment;
  GPUNN_CHECK(rounded <= SIZE_MAX - kLargeRound, "cuda allocator: cannot allocate ", rounded,
              " bytes");
  return (rounded + kLargeRound - 1) / kLargeRound * kLargeRound;
}

void CachingAllocator::note_allocated(Block* b, size_t nbytes) {
  b->allocated = true;
  b->requested = nbytes;
  active_.emplace(b->ptr, b);
  stats_.allocated_bytes += static_cast<int64_t>(b->size);
  stats_.requested_bytes += static_cast<int64_t>(nbytes);
  stats_.peak_allocated_bytes = std::max(stats_.peak_allocated_bytes, stats_.allocated_bytes);
  stats_.num_allocations += 1;
}

CachingAllocator::Block* CachingAllocator::find_free(size_t rounded, bool small) {
  Pool& pool = pool_for(small);
  Block key;
  key.size = rounded;
  key.ptr = nullptr;
  auto it = pool.lower_bound(&key);
  if (it == pool.end()) return nullptr;
  Block* b = *it;
  // A big request must not take a much bigger cached block and strand the rest
  // (mid-size requests may use any block of a 20 MiB segment).
  if (!small && rounded >= kMidRequest && b->size - rounded >= kMidRequest) return nullptr;
  pool.erase(it);
  return b;
}

bool CachingAllocator::within_limit(size_t size) {
  refused_by_limit_ = limit_ != 0 && static_cast<size_t>(stats_.reserved_bytes) + size > limit_;
  return !refused_by_limit_;
}

CachingAllocator::Block* CachingAllocator::new_segment(size_t rounded, bool small) {
  const size_t size = segment_size(rounded);
  if (!within_limit(size)) return nullptr;
  void* p = device_->allocate(size);
  if (!p) return nullptr;
  stats_.num_device_allocations += 1;
  stats_.reserved_bytes += static_cast<int64_t>(size);
  stats_.peak_reserved_bytes = std::max(stats_.peak_reserved_bytes, stats_.reserved_bytes);
  Block* b = new Block;
  b->ptr = static_cast<char*>(p);
  b->size = size;
  b->small = small;
  return b;
}

void* CachingAllocator::allocate(size_t nbytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!caching_) {
    const size_t size = std::max<size_t>(nbytes, 1);
    void* p = within_limit(size) ? device_->allocate(size) : nullptr;
    if (!p) throw_oom(nbytes);
    uncached_.emplace(p, size);
    stats_.num_device_allocations += 1;
    stats_.reserved_bytes += static_cast<int64_t>(size);
    stats_.peak_reserved_bytes = std::max(stats_.peak_reserved_bytes, stats_.reserved_bytes);
    stats_.allocated_bytes += static_cast<int64_t>(size);
    stats_.requested_bytes += static_cast<int64_t>(nbytes);
    stats_.peak_allocated_bytes = std::max(stats_.peak_allocated_bytes, stats_.allocated_bytes);
    stats_.num_allocations += 1;
    return p;
  }

  const size_t rounded = round_size(nbytes);
  const bool small = rounded <= kSmallRequest;
  Block* b = find_free(rounded, small);
  if (!b) b = new_segment(rounded, small);
  if (!b) {
    // The device is full: give back what the cache holds and try once more.
    release_free_segments();
    b = new_segment(rounded, small);
  }
  if (!b) throw_oom(nbytes);

  const size_t rest = b->size - rounded;
  if (small ? rest >= kRound : rest > kSmallRequest) {
    Block* r = new Block;
    r->ptr = b->ptr + rounded;
    r->size = rest;
    r->small = small;
    r->prev = b;
    r->next = b->next;
    if (b->next) b->next->prev = r;
    b->next = r;
    b->size = rounded;
    pool_for(small).insert(r);
  }
  note_allocated(b, nbytes);
  return b->ptr;
}

void CachingAllocator::free(void* ptr) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (!caching_) {
    auto it = uncached_.find(ptr);
    GPUNN_ASSERT(it != uncached_.end(), "cuda allocator: freeing an unknown pointer");
    device_->deallocate(ptr);
    stats_.num_device_frees += 1;
    stats_.reserved_bytes -= static_cast<int64_t>(it->second);
    stats_.allocated_bytes -= static_cast<int64_t>(it->second);
    // The requested size is not kept per pointer here; the rounded one is close.
    stats_.requested_bytes =
        std::max<int64_t>(0, stats_.requested_bytes - static_cast<int64_t>(it->second));
    uncached_.erase(it);
    return;
  }
  auto it = active_.find(ptr);
  GPUNN_ASSERT(it != active_.end(), "cuda allocator: freeing an unknown pointer");
  Block* b = it->second;
  active_.erase(it);
  stats_.allocated_bytes -= static_cast<int64_t>(b->size);
  stats_.requested_bytes -= static_cast<int64_t>(b->requested);
  b->allocated = false;
  b->requested = 0;
  Pool& pool = pool_for(b->small);
  // Merge with free neighbours.
  if (b->prev && !b->prev->allocated) {
    Block* p = b->prev;
    pool.erase(p);
    p->size += b->size;
    p->next = b->next;
    if (b->next) b->next->prev = p;
    delete b;
    b = p;
  }
  if (b->next && !b->next->allocated) {
    Block* n = b->next;
    pool.erase(n);
    b->size += n->size;
    b->next = n->next;
    if (n->next) n->next->prev = b;
    delete n;
  }
  pool.insert(b);
}

void CachingAllocator::release_free_segments() {
  for (Pool* pool : {&small_free_, &large_free_}) {
    for (auto it = pool->begin(); it != pool->end();) {
      Block* b = *it;
      if (!b->prev && !b->next) {  // the whole segment is free
        device_->deallocate(b->ptr);
        stats_.num_device_frees += 1;
        stats_.reserved_bytes -= static_cast<int64_t>(b->size);
        it = pool->erase(it);
        delete b;
      } else {
        ++it;
      }
    }
  }
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  release_free_segments();
}

void CachingAllocator::throw_oom(size_t nbytes) {
  stats_.num_ooms += 1;
  size_t free_bytes = 0, total_bytes = 0;
  device_->mem_info(&free_bytes, &total_bytes);
  if (refused_by_limit_) {
    throw OutOfMemoryError(detail::concat(
        "cuda allocator: out of memory on ", device_->name(), " allocating ", nbytes,
        " bytes: it would take the memory reserved by gpunn past the memory limit of ", limit_,
        " bytes (set_memory_limit or GPUNN_MEMORY_LIMIT; ", stats_.allocated_bytes,
        " bytes in use by gpunn tensors, ", stats_.reserved_bytes, " bytes reserved)"));
  }
  throw OutOfMemoryError(detail::concat(
      "cuda allocator: out of memory on ", device_->name(), " allocating ", nbytes, " bytes (",
      stats_.allocated_bytes, " bytes in use by gpunn tensors, ", stats_.reserved_bytes,
      " bytes reserved by gpunn, ", free_bytes, " bytes free of ", total_bytes, " on the device)"));
}

void CachingAllocator::set_limit(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  limit_ = bytes;
}

size_t CachingAllocator::limit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return limit_;
}

CacheStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void CachingAllocator::reset_peak_stats() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.peak_allocated_bytes = stats_.allocated_bytes;
  stats_.peak_reserved_bytes = stats_.reserved_bytes;
}

}  // namespace gpunn::cuda
