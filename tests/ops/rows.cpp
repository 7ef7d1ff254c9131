// The implementation-row harness (tests/ops/rows.h).
#include "ops/rows.h"

#include <gpunn/testing/poison.h>

#include "test_util.h"

namespace gpunn::test {

std::vector<ImplRow> impl_rows() {
  std::vector<ImplRow> rows{{"cpu", kCPU, Impl::Custom, Implementation::Cpu}};
  if (cpu_vendor_available()) {
    rows.push_back({"cpu_vendor", kCPU, Impl::Vendor, Implementation::CpuVendor});
  }
  if (cuda::is_available()) {
    rows.push_back({"cuda", Device::cuda(0), Impl::Custom, Implementation::Cuda});
    rows.push_back({"cuda_vendor", Device::cuda(0), Impl::Vendor, Implementation::CudaVendor});
  }
  return rows;
}

Tensor like(const Tensor& t, const Tensor& like) {
  Tensor out = t.to(like.device());
  if (is_floating(t.dtype()) && is_floating(like.dtype())) out = out.to(like.dtype());
  return out;
}

namespace {

// Restores a family's setting when the test ends (or fails).
class ImplScope {
 public:
  ImplScope(OpFamily family, Impl impl) : family_(family), saved_(get_impl(family)) {
    set_impl(family, impl);
  }
  ~ImplScope() { set_impl(family_, saved_); }
  ImplScope(const ImplScope&) = delete;
  ImplScope& operator=(const ImplScope&) = delete;

 private:
  OpFamily family_;
  Impl saved_;
};

struct Result {
  Tensor y;
  std::vector<Tensor> grads;
};

Result run(const RowFn& f, const std::vector<Tensor>& values, DType dtype, Device device,
           const Tensor& r, bool backward) {
  std::vector<Tensor> leaves, in;
  for (const Tensor& v : values) {
    leaves.push_back(leaf(v.to(dtype)));
    in.push_back(leaves.back().to(device));
  }
  Result out;
  out.y = f(in);
  if (backward) {
    sum(mul(out.y, r.to(dtype).to(device))).backward();
    for (const Tensor& l : leaves) out.grads.push_back(l.grad());
  }
  return out;
}

}  // namespace

void expect_rows(OpFamily family, const std::string& what, const RowFn& f,
                 const std::vector<Tensor>& values, const RowOptions& o) {
  Result ref;
  Tensor r;
  {
    ImplScope custom(family, Impl::Custom);
    const Tensor probe = f(values);
    r = uniform(probe.shape());
    ref = run(f, values, kFloat64, kCPU, r, o.backward);
  }
  for (const ImplRow& row : impl_rows()) {
    const std::string where = what + " [" + row.name + "]";
    ImplScope setting(family, row.setting);
    LaunchTrace trace;
    Result got;
    {
      testing::PoisonNewTensors poison;
      got = run(f, values, kFloat32, row.device, r, o.backward);
    }
    ASSERT_EQ(got.y.device(), row.device) << where;
    EXPECT_TRUE(tensors_near(got.y.to(kCPU), ref.y, o.atol, o.rtol)) << where << ": output";
    for (size_t i = 0; i < got.grads.size(); ++i) {
      if (!ref.grads[i].defined()) continue;
      ASSERT_TRUE(got.grads[i].defined()) << where << ": no gradient for input " << i;
      EXPECT_TRUE(tensors_near(got.grads[i].to(kCPU), ref.grads[i], o.atol, o.rtol))
          << where << ": gradient of input " << i;
    }
    if (row.setting == Impl::Custom) {
      for (const LaunchRecord& rec : trace.records()) {
        EXPECT_TRUE(rec.family != family || rec.implementation == row.implementation)
            << where << ": " << rec.op << " ran " << implementation_name(rec.implementation);
      }
    } else {
      const auto& ops = row.device.is_cpu() ? o.cpu_vendor_ops : o.cuda_vendor_ops;
      for (const std::string& op : ops) {
        EXPECT_GT(trace.count(op, row.implementation), 0)
            << where << ": " << op << " did not run on " << row.name;
      }
    }
  }
}

}  // namespace gpunn::test
