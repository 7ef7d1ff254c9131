// Memory statistics per device.
#pragma once

#include <gpunn/dtype.h>
#include <gpunn/export.h>

#include <cstdint>
#include <utility>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn {

struct MemoryStats {
  int64_t allocated_bytes = 0;       // held by live tensors now
  int64_t peak_allocated_bytes = 0;  // the most held at once since the last reset
  int64_t num_allocations = 0;       // allocations served since start
  // CUDA devices (the caching allocator); for the CPU, equal to the above / 0.
  int64_t reserved_bytes = 0;  // obtained from the driver, cached or in use
  int64_t peak_reserved_bytes = 0;
  int64_t num_device_allocations = 0;  // cudaMalloc calls since start
  int64_t num_device_frees = 0;        // cudaFree calls since start
};

MemoryStats memory_stats(Device device = kCPU);
void reset_peak_memory_stats(Device device = kCPU);

// Gives the memory gpunn keeps for reuse back to the system: on the CPU, freed host
// blocks of 256 KiB and more (kept up to 1 GiB for the next request of the same size,
// so a training loop does not fault in fresh pages every step); on a CUDA device, the
// caching allocator's free blocks (back to the driver). Neither counts in
// allocated_bytes. Without an argument: the CPU and every CUDA device used so far.
void empty_cache(Device device);
void empty_cache();

// A cap on the memory gpunn takes on a device, so that a memory budget can be held (and
// tested on the CPU): on the CPU, the bytes held by tensors (allocated_bytes); on a CUDA
// device, the bytes reserved from the driver (reserved_bytes: what the process takes from
// the card; the cache's free blocks are released before a request is refused). A request
// past it raises gpunn::OutOfMemoryError naming the request, the limit and what is held;
// the library stays usable. bytes <= 0 removes the limit (the default).
// GPUNN_MEMORY_LIMIT=SIZE in the environment sets it for the CPU and every CUDA device at
// start-up: bytes, or a number with K, M, G or T (powers of 1024; "512M", "2GiB").
void set_memory_limit(Device device, int64_t bytes);
int64_t memory_limit(Device device);  // 0: none

// The meta device (gpunn/dtype.h) holds no memory; its statistics come from a simulated
// allocator that counts each tensor as `device`'s allocator would: the host allocator
// the bytes asked for (the default), a CUDA device whole 512-byte blocks. Process-wide;
// memory::estimate (gpunn/nn/estimate.h) sets it for its run and restores it.
void set_meta_allocator_model(Device device);
Device meta_allocator_model();

namespace detail {
// Meta allocations made on this thread carry the tag set last (0 at start), so that the
// bytes still held can be told apart by where they were made (memory::estimate tags each
// layer's forward). Returns the previous tag.
int set_meta_allocation_tag(int tag);
// The meta bytes still held, by tag (tags without any are left out).
std::vector<std::pair<int, int64_t>> meta_bytes_by_tag();
}  // namespace detail

}  // namespace gpunn

GPUNN_API_END
