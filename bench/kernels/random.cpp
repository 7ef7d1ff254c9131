// bench/kernels, random family: randperm, the device-side shuffle (Philox keys and a
// stable cub::DeviceRadixSort on the GPU, std::stable_sort on the CPU), against the
// loader's host shuffle (Fisher-Yates over Philox numbers, gpunn::data's
// shuffled_indices) followed by the copy of the permutation to the device, which is
// what a device-side consumer would otherwise pay. Checked: both are permutations, and
// the table's entry equals the CPU reference.
#include <gpunn/data/loader.h>

#include <algorithm>

#include "bench/kernels/harness.h"
#include "kernels/random.h"

namespace bench {

namespace k = gpunn::kernels;

namespace {

bool is_permutation(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] != static_cast<int64_t>(i)) return false;
  return true;
}

void randperm_case(int64_t n) {
  const uint64_t seed = 77;
  std::vector<int64_t> ref(static_cast<size_t>(n));
  run_reference(k::randperm, k::RandpermArgs{gpunn::kInt64, n, seed, 0, ref.data()});
  const Tensor out =
      gpunn::empty({n}, gpunn::TensorOptions(gpunn::kInt64).device(options().device));
  std::vector<Impl> impls =
      implementations(k::randperm, k::RandpermArgs{gpunn::kInt64, n, seed, 0, out.data<int64_t>()});
  auto host = std::make_shared<Tensor>();
  impls.push_back(
      {"host-shuffle", 0.0,
       [n, host] {
         *host =
             gpunn::tensor_from(gpunn::data::shuffled_indices(n, seed), {n}).to(options().device);
       },
       nullptr});
  for (const Impl& impl : impls) {
    Row r{"random", "randperm " + std::to_string(n), impl.name};
    impl.run();
    const bool host_side = impl.name == "host-shuffle";
    const std::vector<int64_t> got = (host_side ? *host : out).to(gpunn::kCPU).to_vector<int64_t>();
    r.ok = is_permutation(got) && (host_side || got == ref);
    r.max_abs_err = r.rel_err = r.ok ? 0.0 : 1.0;
    r.ms = time_ms(impl.run);
    r.bytes = static_cast<double>(n) * 8;
    report(r);
  }
}

}  // namespace

void bench_random() {
  // MNIST's and ImageNet's training set sizes.
  randperm_case(60000);
  if (on_cuda()) randperm_case(1281167);
}

}  // namespace bench
