// Tensor basics: factories, metadata, data access, conversions, copies,
// printing, external memory and memory statistics.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_util.h"

namespace gpunn {
namespace {

using test::values_near;

TEST(Tensor, FactoriesAndMetadata) {
  Tensor z = zeros({2, 3});
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_EQ(z.strides(), (Shape{3, 1}));
  EXPECT_EQ(z.dim(), 2);
  EXPECT_EQ(z.numel(), 6);
  EXPECT_EQ(z.dtype(), kFloat32);
  EXPECT_TRUE(z.device().is_cpu());
  EXPECT_TRUE(z.is_contiguous());
  EXPECT_EQ(z.size(-1), 3);
  EXPECT_EQ(z.stride(0), 3);
  EXPECT_TRUE(values_near(z, std::vector<double>(6, 0.0), 0));
  EXPECT_TRUE(values_near(ones({2}, kFloat64), {1, 1}, 0));
  EXPECT_TRUE(values_near(full({3}, 2.5), {2.5, 2.5, 2.5}, 0));
  EXPECT_TRUE(values_near(arange(4), {0, 1, 2, 3}, 0));
  EXPECT_TRUE(values_near(arange(1, 2, 0.25, kFloat64), {1, 1.25, 1.5, 1.75}, 0));
  EXPECT_TRUE(values_near(arange(3, 0, -1, kInt64), {3, 2, 1}, 0));
  EXPECT_EQ(arange(3, kInt64).dtype(), kInt64);
  EXPECT_EQ(arange(0).numel(), 0);
  Tensor s = scalar_tensor(4.5, kFloat64);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.item(), 4.5);
  Tensor t = tensor({1, 2, 3, 4, 5, 6}, {3, 2}, kFloat64);
  EXPECT_EQ(t.to_vector<double>(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(t.data<double>()[3], 4.0);
  EXPECT_EQ(tensor_from(std::vector<int64_t>{7, 8}, {2}).to_vector<int64_t>(),
            (std::vector<int64_t>{7, 8}));
  EXPECT_EQ(zeros_like(t).shape(), t.shape());
  EXPECT_EQ(full_like(t, 3).dtype(), kFloat64);
  EXPECT_TRUE(ones({2}, TensorOptions(kFloat64).requires_grad(true)).requires_grad());
}

TEST(Tensor, ZeroSizedTensors) {
  Tensor e = empty({0, 4});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_TRUE(e.is_contiguous());
  EXPECT_EQ(e.reshape({4, 0}).shape(), (Shape{4, 0}));
  EXPECT_EQ(e.to_vector<float>().size(), 0u);
  EXPECT_EQ(e.str(), "tensor([], size=[0, 4])");
}

TEST(Tensor, ItemAndTypedAccess) {
  EXPECT_EQ(tensor({3}, kInt64).item<int64_t>(), 3);
  EXPECT_THROWS_WITH(zeros({2}).item(), "item", "[2]");
  EXPECT_THROWS_WITH(zeros({2}).data<double>(), "data", "float32", "float64");
  EXPECT_THROWS_WITH(Tensor().numel(), "numel", "undefined");
}

TEST(Tensor, DtypeConversions) {
  Tensor x = tensor({1.5, -2.75, 3.0}, kFloat64);
  EXPECT_EQ(x.to(kFloat32).dtype(), kFloat32);
  EXPECT_TRUE(values_near(x.to(kFloat32), {1.5, -2.75, 3.0}, 0));
  EXPECT_TRUE(values_near(x.to(kInt64), {1, -2, 3}, 0));  // truncation toward zero
  EXPECT_TRUE(x.to(kFloat64).is_same(x));                 // same dtype: no copy
  // Values an int64 cannot hold become INT64_MIN instead of undefined behaviour.
  Tensor odd = tensor({std::nan(""), 1e300}, kFloat64).to(kInt64);
  EXPECT_EQ(odd.to_vector<int64_t>()[0], std::numeric_limits<int64_t>::min());
  // Differentiable between float types; the gradient comes back in the input's dtype.
  Tensor a = test::leaf(tensor({1, 2}, kFloat64));
  (a.to(kFloat32) * 3.0).sum().backward();
  EXPECT_EQ(a.grad().dtype(), kFloat64);
  EXPECT_TRUE(values_near(a.grad(), {3, 3}, 0));
  EXPECT_THROWS_WITH(tensor({0.5}, kInt64), "tensor", "0.5", "whole number");
}

TEST(Tensor, CloneContiguousAndCopy) {
  Tensor x = arange(6, kFloat64).reshape({2, 3});
  Tensor c = x.clone();
  c.fill_(7);
  EXPECT_TRUE(values_near(x, {0, 1, 2, 3, 4, 5}, 0));  // clone owns its data
  Tensor t = x.t();
  EXPECT_FALSE(t.is_contiguous());
  Tensor tc = t.contiguous();
  EXPECT_TRUE(tc.is_contiguous());
  EXPECT_TRUE(values_near(tc, {0, 3, 1, 4, 2, 5}, 0));
  EXPECT_TRUE(x.contiguous().is_same(x));
  // copy_ broadcasts and converts.
  Tensor dst = zeros({2, 3}, kFloat32);
  dst.copy_(tensor({1, 2, 3}, kFloat64));
  EXPECT_TRUE(values_near(dst, {1, 2, 3, 1, 2, 3}, 0));
  // copy_ into a view writes through to the base.
  dst.select(0, 1).copy_(tensor({9, 9, 9}));
  EXPECT_TRUE(values_near(dst, {1, 2, 3, 9, 9, 9}, 0));
  // Overlapping source and destination: the source is read before writing.
  Tensor y = arange(4, kFloat64);
  y.slice(0, 1, 4).copy_(y.slice(0, 0, 3));
  EXPECT_TRUE(values_near(y, {0, 0, 1, 2}, 0));
  EXPECT_THROWS_WITH(zeros({3}).copy_(zeros({2})), "copy_", "[2]", "[3]");
}

TEST(Tensor, FromBlob) {
  std::vector<double> buffer = {1, 2, 3, 4};
  Tensor b = from_blob(buffer.data(), {2, 2}, kFloat64);
  EXPECT_TRUE(values_near(b, {1, 2, 3, 4}, 0));
  buffer[0] = 10;  // shares the caller's memory
  EXPECT_EQ(b.to_vector<double>()[0], 10);
  bool freed = false;
  {
    auto* owned = new float[3]{1, 2, 3};
    Tensor o = from_blob(owned, {3}, kFloat32, [&freed](void* p) {
      delete[] static_cast<float*>(p);
      freed = true;
    });
    Tensor view = o.slice(0, 1, 3);
    o = Tensor();
    EXPECT_FALSE(freed);  // a view still holds the storage
    EXPECT_TRUE(values_near(view, {2, 3}, 0));
  }
  EXPECT_TRUE(freed);
}

TEST(Tensor, Printing) {
  EXPECT_EQ(tensor({1.5, -2}, {2}).str(), "tensor([ 1.5000, -2.0000])");
  EXPECT_EQ(tensor({1, 2, 3, 4}, {2, 2}, kFloat64).str(),
            "tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]], dtype=float64)");
  EXPECT_EQ(tensor({3, 1}, kInt64).str(), "tensor([3, 1], dtype=int64)");
  EXPECT_EQ(scalar_tensor(2).str(), "tensor(2.0000)");
  EXPECT_EQ(tensor({1e-6, 1}).str(), "tensor([1.0000e-06, 1.0000e+00])");
  Tensor p = test::leaf(ones({1}));
  EXPECT_EQ(p.str(), "tensor([1.0000], requires_grad=true)");
  EXPECT_EQ((p * 2.0).str(), "tensor([2.0000], grad_fn=<mul_backward>)");
  const std::string big = zeros({40, 40}).str();
  EXPECT_NE(big.find("..."), std::string::npos);
  EXPECT_LT(big.size(), 400u);
}

TEST(Tensor, MemoryStatsFollowLiveTensors) {
  const int64_t before = memory_stats().allocated_bytes;
  {
    Tensor t = empty({1000}, kFloat64);
    EXPECT_EQ(memory_stats().allocated_bytes, before + 8000);
    EXPECT_GE(memory_stats().peak_allocated_bytes, before + 8000);
  }
  EXPECT_EQ(memory_stats().allocated_bytes, before);
}

TEST(Tensor, LargeBlocksAreReusedAndStatsStayExact) {
  // Note [cached host blocks]: a freed 1 MiB block serves the next request of
  // that size; cached blocks do not count as allocated.
  const int64_t before = memory_stats().allocated_bytes;
  const void* first = nullptr;
  {
    Tensor t = full({1 << 18}, 7.0, kFloat32);
    first = t.data_ptr();
    EXPECT_EQ(memory_stats().allocated_bytes, before + (1 << 20));
  }
  EXPECT_EQ(memory_stats().allocated_bytes, before);
  {
    Tensor t = zeros({1 << 18}, kFloat32);  // reused memory, still filled with zeros
    EXPECT_EQ(t.data_ptr(), first);
    EXPECT_EQ(sum(t).item(), 0.0);
  }
  empty_cache();
  EXPECT_EQ(memory_stats().allocated_bytes, before);
}

TEST(Tensor, BadShapesAndAbsurdAllocations) {
  EXPECT_THROWS_WITH(zeros({2, -1}), "empty", "non-negative", "[2, -1]");
  EXPECT_THROWS_WITH(tensor({1, 2, 3}, {2, 2}), "tensor", "3 values", "[2, 2]");
  EXPECT_THROWS_WITH(arange(0, 1, 0), "arange", "step");
  EXPECT_THROWS_WITH(randint(3, 3, {2}), "randint", "low < high");
  EXPECT_THROWS_WITH(ones({3}, kInt64).requires_grad_(), "requires_grad_", "int64");
  EXPECT_THROWS_WITH(zeros({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}),
                     "at most 16 dims");
  EXPECT_TRUE(values_near(ones({2}) + 1.0, {2, 2}, 0));
}

// Host memory exhaustion (docs/reliability.md): an allocation the machine cannot
// serve is an OutOfMemoryError from the allocator; the library keeps working.
TEST(Tensor, HostOutOfMemoryIsTypedAndRecoverable) {
  Tensor keep = full({1000}, 2.0);
  const int64_t before = memory_stats().allocated_bytes;
  // 2^60 float32 = 4 EiB: representable, and more than any machine has.
  try {
    Tensor huge = empty({1 << 20, 1 << 20, 1 << 20}, kFloat32);
    FAIL() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cpu allocator: out of memory allocating 4611686018427387904 bytes"),
              std::string::npos)
        << msg;
  }
  EXPECT_THROW(zeros({1LL << 40, 1LL << 20}, kFloat32), OutOfMemoryError);  // 2^62 bytes
  EXPECT_THROW(full({1LL << 59}, 1.0, kFloat64), OutOfMemoryError);         // 2^62 bytes
  // The failed requests left nothing allocated, and tensors work as before.
  EXPECT_EQ(memory_stats().allocated_bytes, before);
  Tensor x = arange(0, 1000, 1, kFloat32);
  EXPECT_EQ((x * keep).sum().item(), 999000.0);
  Tensor big = ones({4 << 20});  // 16 MiB, well within reach
  EXPECT_EQ(big.sum().item(), static_cast<double>(4 << 20));
}

// set_memory_limit on the CPU: a request past it is the typed error naming the request,
// the limit and what is held; nothing leaks, a training step under the limit works, and
// removing the limit restores everything.
TEST(Tensor, HostMemoryLimitRaisesTheTypedErrorAndLeavesTheLibraryUsable) {
  ASSERT_EQ(memory_limit(kCPU), 0) << "the tests run without GPUNN_MEMORY_LIMIT";
  const Tensor keep = ones({256});
  const int64_t held = memory_stats().allocated_bytes;
  set_memory_limit(kCPU, held + (int64_t{1} << 20));  // 1 MiB more than held now
  EXPECT_EQ(memory_limit(kCPU), held + (int64_t{1} << 20));
  try {
    const Tensor big = empty({int64_t{1} << 19}, kFloat32);  // 2 MiB
    ADD_FAILURE() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("allocating 2097152 bytes would pass the memory limit of " +
                       std::to_string(held + (int64_t{1} << 20)) + " bytes"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("GPUNN_MEMORY_LIMIT"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::to_string(held) + " bytes held by gpunn tensors"), std::string::npos)
        << msg;
  }
  EXPECT_EQ(memory_stats().allocated_bytes, held) << "the refused request left nothing counted";
  {  // A small model's step fits under the limit.
    Generator g(3);
    nn::Linear layer(16, 8, true, TensorOptions(), &g);
    const Tensor loss = sum(layer(ones({4, 16})));
    loss.backward();
    EXPECT_TRUE(layer.weight.grad().defined());
  }
  set_memory_limit(kCPU, 0);
  EXPECT_EQ(memory_limit(kCPU), 0);
  const Tensor big = ones({int64_t{1} << 19});
  EXPECT_EQ(big.sum().item(), static_cast<double>(int64_t{1} << 19));
  EXPECT_EQ((keep * 2).sum().item(), 512.0);
}

// Sizes whose byte count does not fit in int64 are a mistake in the shape: a
// plain gpunn::Error naming the op, the shape and the dtype, before any allocation.
TEST(Tensor, ShapesWhoseByteCountOverflowsAreRejected) {
  const auto is_plain_error = [](auto&& make) {
    try {
      make();
    } catch (const OutOfMemoryError&) {
      return false;
    } catch (const Error&) {
      return true;
    }
    return false;
  };
  EXPECT_TRUE(is_plain_error([] { empty({1LL << 40, 1LL << 20}, kFloat64); }));  // 2^63 bytes
  EXPECT_THROWS_WITH(empty({1LL << 62, 4}, kFloat64), "empty", "[4611686018427387904, 4]",
                     "float64", "more than 2^63 bytes");
  EXPECT_THROWS_WITH(zeros({1LL << 32, 1LL << 32, 1LL << 32}), "empty",
                     "[4294967296, 4294967296, 4294967296]", "more than 2^63 bytes");
  EXPECT_THROWS_WITH(empty({INT64_MAX, 2}, kInt64), "more than 2^63 bytes");
  // An element count that overflows in a reshape is an error, not a wrap-around.
  EXPECT_THROWS_WITH(ones({4}).reshape({1LL << 32, 1LL << 32, -1}), "reshape",
                     "more elements than fit in 64 bits");
  EXPECT_THROWS_WITH(ones({4}).reshape({1LL << 32, 1LL << 32, 4}), "reshape",
                     "more elements than fit in 64 bits");
  EXPECT_THROWS_WITH(shape_numel({1LL << 40, 1LL << 40}), "[1099511627776, 1099511627776]",
                     "more elements than fit in 64 bits");
  // A 0 dim makes any shape empty, however large the other dims.
  EXPECT_EQ(shape_numel({1LL << 40, 1LL << 40, 0}), 0);
  Tensor none = empty({1LL << 40, 1LL << 40, 0}, kFloat64);
  EXPECT_EQ(none.numel(), 0);
  EXPECT_TRUE(values_near(ones({2}) + 1.0, {2, 2}, 0));
}

TEST(Tensor, DeviceParsing) {
  EXPECT_EQ(Device::parse("cpu"), kCPU);
  EXPECT_EQ(Device::parse("cuda"), Device::cuda(0));
  EXPECT_EQ(Device::parse("cuda:3").index, 3);
  EXPECT_EQ(Device::cuda(1).str(), "cuda:1");
  EXPECT_THROWS_WITH(Device::parse("gpu"), "Device::parse", "gpu");
  EXPECT_THROWS_WITH(Device::parse("cuda:x"), "Device::parse");
  // Without a usable GPU a CUDA device is a clear error, not a crash.
  if (cuda::is_available()) {
    EXPECT_EQ(zeros({2}, Device::cuda(0)).device(), Device::cuda(0));
    EXPECT_EQ(zeros({2}).to(Device::cuda(0)).device(), Device::cuda(0));
  } else {
    EXPECT_THROWS_WITH(zeros({2}, Device::cuda(0)), "cuda:0");
    EXPECT_THROWS_WITH(zeros({2}).to(Device::cuda(0)), "to", "cuda:0");
  }
}

}  // namespace
}  // namespace gpunn
