// device_query: what this build of gpunn contains and which GPUs it sees.
//
//   build/python_free_examples/device_query
//
// Prints the build (compiler, CUDA, cuDNN, oneDNN, zlib), then each CUDA device
// (name, compute capability, SMs, memory, driver, runtime, cuBLAS and cuDNN
// versions) and the caching allocator's state; the last line is one JSON object.
// Runs on machines without a GPU too (it then says so and lists none).
#include <gpunn/gpunn.h>

#include <cstring>
#include <iomanip>
#include <iostream>

int main(int argc, char** argv) {
  // No options: --help says what it prints; anything else is refused.
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << "Usage: device_query\nPrints what this build of gpunn contains (compiler, CUDA, "
                   "cuDNN, oneDNN, zlib) and each CUDA device it sees; the last line is one JSON "
                   "object. Takes no options.\n";
      return 0;
    }
    std::cerr << "device_query: unknown argument '" << argv[i] << "' (it takes none; see --help)\n";
    return 2;
  }
  std::cout << gpunn::build_info();
  const int n = gpunn::cuda::device_count();
  std::cout << "CUDA devices: " << n << "\n";
  for (int i = 0; i < n; ++i) {
    const gpunn::cuda::DeviceProperties p = gpunn::cuda::device_properties(i);
    const double gib = 1024.0 * 1024.0 * 1024.0;
    std::cout << std::fixed << std::setprecision(1) << "  cuda:" << i << "  " << p.name << "  sm_"
              << p.compute_capability_major << p.compute_capability_minor << "  "
              << p.multiprocessors << " SMs  " << static_cast<double>(p.total_memory_bytes) / gib
              << " GiB (" << static_cast<double>(p.free_memory_bytes) / gib << " free)  driver "
              << p.driver_version / 1000 << "." << (p.driver_version % 1000) / 10 << "  runtime "
              << p.runtime_version / 1000 << "." << (p.runtime_version % 1000) / 10 << "  cuBLAS "
              << p.cublas_version << "  cuDNN " << p.cudnn_version << "\n";
    const gpunn::MemoryStats m = gpunn::memory_stats(gpunn::Device::cuda(i));
    std::cout << "    gpunn allocator: " << m.allocated_bytes << " bytes in use, "
              << m.reserved_bytes << " reserved\n";
  }
  std::cout << gpunn::cuda::devices_json() << "\n";
  return 0;
}
