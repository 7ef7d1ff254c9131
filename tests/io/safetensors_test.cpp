// safetensors reading and writing (gpunn/io/safetensors.h): round trips, the
// exact bytes written, files written by the Python package, a table of
// malformed files, and atomic saves under injected failures.
#include <gpunn/io/safetensors.h>
#include <gpunn/nn.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "core/io/atomic_file.h"
#include "io/io_test_util.h"
#include "test_util.h"

namespace gpunn {
namespace {

using io::load_safetensors;
using io::parse_safetensors;
using io::save_safetensors;

// A file image: 8-byte little-endian length, header text, `data` bytes.
// (Filled with memcpy into a sized buffer: vector::insert here trips GCC 12's
// -Warray-bounds false positive.)
std::vector<uint8_t> raw_image(uint64_t n, const std::string& header,
                               const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out(8 + header.size() + data.size());
  std::memcpy(out.data(), &n, 8);
  if (!header.empty()) std::memcpy(out.data() + 8, header.data(), header.size());
  if (!data.empty()) std::memcpy(out.data() + 8 + header.size(), data.data(), data.size());
  return out;
}

std::vector<uint8_t> image(const std::string& header, const std::vector<uint8_t>& data = {}) {
  return raw_image(header.size(), header, data);
}

template <typename T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

io::SafetensorsFile parse(const std::vector<uint8_t>& img) {
  return parse_safetensors(img.data(), img.size(), "test.safetensors");
}

void expect_bitwise_equal(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.shape(), b.shape());
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  EXPECT_EQ(std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.numel() * dtype_size(a.dtype())), 0);
}

TEST(Safetensors, RoundTripsDtypesShapesAndViews) {
  test::reseed(1);
  StateDict d;
  d.insert("layer.weight", test::uniform({3, 4}, -1, 1, kFloat32));
  d.insert("scalar64", scalar_tensor(-0.125, kFloat64));
  d.insert("steps", tensor_from(std::vector<int64_t>{INT64_MIN, -1, 0, INT64_MAX}, {4}));
  d.insert("empty", zeros({0, 3}));
  const Tensor base = test::uniform({4, 5}, -2, 2, kFloat64);
  d.insert("transposed_view", base.t());  // not contiguous
  d.insert("narrowed", base.narrow(1, 1, 2));
  d.insert("nan_inf", tensor({std::nan(""), INFINITY, -INFINITY, -0.0}, kFloat32));
  // 16-bit floats, with their edge values (a float16 subnormal, bfloat16's range).
  d.insert("bf16", tensor({0.1, -1e30, std::nan(""), -INFINITY, 1e-40}, kBFloat16));
  d.insert("f16", tensor({65504.0, 0x1p-24, -0.0, INFINITY, 1.0 / 3.0}, kFloat16));
  d.insert("bf16_view", test::uniform({4, 3}, -1, 1, kFloat32).to(kBFloat16).t());

  test::ScratchDir dir;
  const std::string path = dir.file("model.safetensors");
  save_safetensors(path, d, {{"format", "pt"}, {"note", "caf\xc3\xa9 \"quoted\"\n"}});
  const io::SafetensorsFile f = load_safetensors(path);
  EXPECT_EQ(f.tensors.keys(), d.keys());
  for (const auto& [name, t] : d) {
    SCOPED_TRACE(name);
    expect_bitwise_equal(f.tensors.at(name), t);
    EXPECT_TRUE(f.tensors.at(name).is_contiguous());
  }
  EXPECT_EQ(f.metadata.at("format"), "pt");
  EXPECT_EQ(f.metadata.at("note"), "caf\xc3\xa9 \"quoted\"\n");
  EXPECT_EQ(f.metadata.size(), 2u);
  // The file and memory forms agree.
  const std::vector<uint8_t> mem = io::serialize_safetensors(d, f.metadata);
  EXPECT_EQ(test::read_file_u8(path), mem);
  EXPECT_EQ(parse(mem).tensors.keys(), d.keys());
}

TEST(Safetensors, SixteenBitTensorsLoadIntoAFloat32Module) {
  // A bfloat16 file (as torch saves one) loads into float32 parameters, converted
  // exactly; and a module converted to float16 saves F16 entries that load back bit for bit.
  test::reseed(3);
  nn::Linear fc(4, 3);
  StateDict low;
  for (const auto& [name, t] : fc.state_dict()) low.insert(name, t.to(kBFloat16));
  const std::vector<uint8_t> bytes = io::serialize_safetensors(low);
  const std::string text(bytes.begin() + 8, bytes.begin() + 8 + 60);
  EXPECT_NE(text.find("\"BF16\""), std::string::npos) << text;
  nn::Linear other(4, 3);
  other.load_state_dict(parse(bytes).tensors);
  EXPECT_EQ(other.weight.dtype(), kFloat32);
  EXPECT_EQ(other.weight.to_vector<double>(), low.at("weight").to_vector<double>());

  fc.to(kFloat16);
  EXPECT_EQ(fc.weight.dtype(), kFloat16);
  const io::SafetensorsFile back = parse(io::serialize_safetensors(fc.state_dict()));
  expect_bitwise_equal(back.tensors.at("weight"), fc.weight);
  expect_bitwise_equal(back.tensors.at("bias"), fc.bias);
}

TEST(Safetensors, WritesTheDocumentedBytes) {
  StateDict d;
  d.insert("w", tensor_from(std::vector<float>{1.5f, -2.0f}, {2, 1}));
  d.insert("n", tensor_from(std::vector<int64_t>{7}, {}));
  const std::vector<uint8_t> bytes = io::serialize_safetensors(d, {{"k", "v"}});
  // The int64 (8-byte) tensor is placed first so both stay aligned; the header
  // keeps the dict's order and is padded with spaces to a multiple of 8.
  std::string header =
      R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2,1],"data_offsets":[8,16]},)"
      R"("n":{"dtype":"I64","shape":[],"data_offsets":[0,8]}})";
  while ((header.size() + 8) % 8) header += ' ';
  std::vector<uint8_t> data(16);
  const int64_t n = 7;
  const float w[2] = {1.5f, -2.0f};
  std::memcpy(data.data(), &n, 8);
  std::memcpy(data.data() + 8, w, 8);
  EXPECT_EQ(bytes, image(header, data));
}

TEST(Safetensors, EmptyDictRoundTrips) {
  const std::vector<uint8_t> bytes = io::serialize_safetensors(StateDict{});
  EXPECT_EQ(bytes.size(), 16u);  // "{}" padded to 8
  const io::SafetensorsFile f = parse(bytes);
  EXPECT_TRUE(f.tensors.empty());
  EXPECT_TRUE(f.metadata.empty());
}

TEST(Safetensors, LoadsAFileWrittenByThePythonPackage) {
  const io::SafetensorsFile f =
      load_safetensors(std::string(GPUNN_TEST_FIXTURES) + "/python_written.safetensors");
  EXPECT_EQ(f.metadata.at("format"), "np");
  EXPECT_EQ(f.metadata.at("note"), "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80");
  const Tensor f32 = f.tensors.at("f32");
  EXPECT_EQ(f32.dtype(), kFloat32);
  EXPECT_EQ(f32.shape(), (Shape{2, 3}));
  EXPECT_EQ(f32.to_vector<double>(), (std::vector<double>{-1, -0.5, 0, 0.5, 1, 1.5}));
  const Tensor pi = f.tensors.at("f64_scalar");
  EXPECT_EQ(pi.dim(), 0);
  EXPECT_EQ(pi.item(), 3.141592653589793);
  EXPECT_EQ(f.tensors.at("i64").to_vector<int64_t>(),
            (std::vector<int64_t>{-(int64_t{1} << 62), 0, (int64_t{1} << 62) + 7}));
  // F16 loads as float16, bits unchanged: 6e-8 was written as the smallest subnormal 2^-24.
  const Tensor f16 = f.tensors.at("f16");
  EXPECT_EQ(f16.dtype(), kFloat16);
  EXPECT_EQ(f16.to_vector<double>(),
            (std::vector<double>{1.0, -2.5, std::ldexp(1.0, -24), INFINITY, 65504.0}));
  const Tensor i32 = f.tensors.at("i32");
  EXPECT_EQ(i32.dtype(), kInt64);
  EXPECT_EQ(i32.shape(), (Shape{2, 2}));
  EXPECT_EQ(i32.to_vector<int64_t>(), (std::vector<int64_t>{-7, 2147483647, -2147483648LL, 0}));
  EXPECT_EQ(f.tensors.at("u8").to_vector<int64_t>(), (std::vector<int64_t>{0, 200, 255}));
  EXPECT_EQ(f.tensors.at("i8").to_vector<int64_t>(), (std::vector<int64_t>{-128, 127, -1}));
  EXPECT_EQ(f.tensors.at("flags").to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(f.tensors.at("empty").shape(), (Shape{0, 2}));
  EXPECT_EQ(f.tensors.size(), 9u);
}

TEST(Safetensors, LoadsBFloat16AndWidensUnsignedTypes) {
  // bf16 is the top half of a float32: 1.0 = 0x3f80, -3.5 = 0xc060.
  const std::vector<uint8_t> data = {0x80, 0x3f, 0x60, 0xc0,              // BF16
                                     0xff, 0xff, 0x01, 0x00,              // U16 65535, 1
                                     0xff, 0xff, 0xff, 0xff,              // U32
                                     0x05, 0,    0,    0,    0, 0, 0, 0,  // U64 5
                                     0xfe, 0xff};                         // I16 -2
  const std::string header = R"({"b":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},)"
                             R"("u16":{"dtype":"U16","shape":[2],"data_offsets":[4,8]},)"
                             R"("u32":{"dtype":"U32","shape":[],"data_offsets":[8,12]},)"
                             R"("u64":{"dtype":"U64","shape":[1],"data_offsets":[12,20]},)"
                             R"("i16":{"dtype":"I16","shape":[1],"data_offsets":[20,22]}})";
  const io::SafetensorsFile f = parse(image(header, data));
  EXPECT_EQ(f.tensors.at("b").dtype(), kBFloat16);
  EXPECT_EQ(f.tensors.at("b").to_vector<double>(), (std::vector<double>{1.0, -3.5}));
  EXPECT_EQ(f.tensors.at("u16").to_vector<int64_t>(), (std::vector<int64_t>{65535, 1}));
  EXPECT_EQ(f.tensors.at("u32").item<int64_t>(), 4294967295LL);
  EXPECT_EQ(f.tensors.at("u64").to_vector<int64_t>(), (std::vector<int64_t>{5}));
  EXPECT_EQ(f.tensors.at("i16").to_vector<int64_t>(), (std::vector<int64_t>{-2}));
}

struct Malformed {
  const char* what;
  std::vector<uint8_t> bytes;
  const char* fragment;  // expected in the message
};

std::vector<uint8_t> with_length(uint64_t n, const std::string& rest) {
  return raw_image(n, rest, {});
}

std::string entry(const std::string& name, const std::string& dtype, const std::string& shape,
                  const std::string& offsets) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":" + offsets + "}";
}

TEST(Safetensors, RejectsMalformedFilesWithClearErrors) {
  const std::vector<uint8_t> d8(8, 0), d16(16, 0);
  const std::vector<Malformed> cases = {
      {"empty file", {}, "too short for the 8-byte header length"},
      {"truncated length", {4, 0, 0}, "too short for the 8-byte header length"},
      {"header longer than file", with_length(100, "{}"), "runs past the end of the file"},
      {"header over the limit", with_length(200'000'000, "{}"), "exceeds the format's limit"},
      {"header of 2^64-1", with_length(~uint64_t{0}, "{}"), "exceeds the format's limit"},
      {"zero-length header", with_length(0, ""), "does not start with '{'"},
      {"not an object", image("[1,2]"), "does not start with '{'"},
      {"invalid JSON", image("{\"a\":{\"dtype\":\"F32\",}"), "invalid JSON"},
      {"trailing garbage in header", image("{} x"), "unexpected data after the JSON value"},
      {"duplicate names",
       image(
           "{" + entry("a", "F32", "[1]", "[0,4]") + "," + entry("a", "F32", "[1]", "[4,8]") + "}",
           d8),
       "duplicate key \"a\""},
      {"entry not an object", image("{\"a\":3}"), "must be described by a JSON object"},
      {"dtype not a string", image(R"({"a":{"dtype":1,"shape":[],"data_offsets":[0,0]}})"),
       "\"dtype\" must be a JSON string"},
      {"missing shape", image(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", {0, 0, 0, 0}),
       "has no \"shape\""},
      {"unknown field", image(R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":1}})"),
       "unknown field \"x\""},
      {"unknown dtype", image("{" + entry("a", "F128", "[1]", "[0,16]") + "}", d16),
       "unknown dtype \"F128\""},
      {"8-bit float", image("{" + entry("a", "F8_E4M3", "[1]", "[0,1]") + "}", {0}), "8-bit float"},
      {"negative dim", image("{" + entry("a", "F32", "[-1]", "[0,4]") + "}", {0, 0, 0, 0}),
       "must be non-negative integers"},
      {"fractional dim", image("{" + entry("a", "F32", "[1.5]", "[0,4]") + "}", {0, 0, 0, 0}),
       "must be non-negative integers"},
      {"huge dims", image("{" + entry("a", "F32", "[4294967296,4294967296]", "[0,4]") + "}"),
       "overflows 64 bits"},
      {"dim beyond int64", image("{" + entry("a", "F32", "[99999999999999999999]", "[0,4]") + "}"),
       "fit in 64 bits"},
      {"too many dims",
       image("{" + entry("a", "F32", "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]", "[0,4]") + "}",
             {0, 0, 0, 0}),
       "at most 16"},
      {"three offsets", image("{" + entry("a", "F32", "[1]", "[0,4,8]") + "}", {0, 0, 0, 0}),
       "must be [begin, end]"},
      {"end before begin", image("{" + entry("a", "F32", "[0]", "[4,0]") + "}", {0, 0, 0, 0}),
       "end before they begin"},
      {"offsets past the data", image("{" + entry("a", "F32", "[2]", "[0,8]") + "}", {0, 0, 0, 0}),
       "run past the end"},
      {"size mismatch", image("{" + entry("a", "F32", "[3]", "[0,8]") + "}", d8),
       "hold 8 bytes, but F32 shape [3] needs 12"},
      {"overlapping",
       image(
           "{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[2]", "[4,12]") + "}",
           d16),
       "overlap"},
      {"gap", image("{" + entry("a", "F32", "[1]", "[4,8]") + "}", d8), "belong to no tensor"},
      {"trailing data", image("{" + entry("a", "F32", "[1]", "[0,4]") + "}", d8),
       "4 trailing bytes"},
      {"metadata not strings", image(R"({"__metadata__":{"a":1}})"), "must be a string"},
      {"metadata not an object", image(R"({"__metadata__":[]})"), "must be a JSON object"},
      {"bool byte 2", image("{" + entry("a", "BOOL", "[1]", "[0,1]") + "}", {2}),
       "expected 0 or 1"},
      {"u64 beyond int64",
       image("{" + entry("a", "U64", "[1]", "[0,8]") + "}", {0, 0, 0, 0, 0, 0, 0, 0x80}),
       "does not fit in int64"},
      {"invalid UTF-8 name", image("{\"\xff\":{}}"), "invalid UTF-8"},
  };
  for (const Malformed& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_THROWS_WITH(parse(c.bytes), "safetensors 'test.safetensors'", c.fragment);
  }
}

TEST(Safetensors, EveryTruncationOfAValidFileIsRejected) {
  StateDict d;
  d.insert("a", ones({3}, kFloat64));
  d.insert("b", zeros({2, 2}));
  const std::vector<uint8_t> good = io::serialize_safetensors(d, {{"x", "y"}});
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_THROW(parse(cut), Error) << "prefix of " << n << " bytes accepted";
  }
  EXPECT_EQ(parse(good).tensors.size(), 2u);
}

TEST(Safetensors, FileErrorsNameTheFile) {
  test::ScratchDir dir;
  EXPECT_THROWS_WITH(load_safetensors(dir.file("missing.safetensors")), "missing.safetensors",
                     "cannot open");
  EXPECT_THROWS_WITH(load_safetensors(dir.path().string()), "not a regular file");
  const std::string truncated = dir.file("truncated.safetensors");
  StateDict d;
  d.insert("a", ones({100}));
  std::vector<uint8_t> bytes = io::serialize_safetensors(d);
  bytes.resize(bytes.size() - 10);
  test::write_bytes(truncated, bytes);
  EXPECT_THROWS_WITH(load_safetensors(truncated), "truncated.safetensors", "run past the end");
}

TEST(Safetensors, SaveRejectsBadInput) {
  test::ScratchDir dir;
  StateDict d;
  d.insert("__metadata__", ones({1}));
  EXPECT_THROWS_WITH(save_safetensors(dir.file("a"), d), "save_safetensors", "reserved");
  StateDict u;
  u.insert("x", Tensor());
  EXPECT_THROWS_WITH(save_safetensors(dir.file("a"), u), "save_safetensors", "'x' is undefined");
  StateDict bad_name;
  bad_name.insert("\xc3", ones({1}));
  EXPECT_THROWS_WITH(save_safetensors(dir.file("a"), bad_name), "not valid UTF-8");
  EXPECT_TRUE(dir.listing().empty());
}

// ---- atomic writes ----------------------------------------------------------------

const char* g_fail_step = nullptr;
bool fail_at(const char* step) { return g_fail_step && std::strcmp(step, g_fail_step) == 0; }

TEST(Safetensors, FailedSaveLeavesThePreviousFile) {
  test::ScratchDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  StateDict old_dict;
  old_dict.insert("w", full({4}, 1.0));
  save_safetensors(path, old_dict);
  const std::vector<uint8_t> old_bytes = test::read_file_u8(path);

  StateDict new_dict;
  new_dict.insert("w", full({1000}, 2.0));
  io::testing::set_atomic_write_fault_hook(&fail_at);
  for (const char* step : {"open", "write", "fsync", "close", "rename"}) {
    SCOPED_TRACE(step);
    g_fail_step = step;
    EXPECT_THROWS_WITH(save_safetensors(path, new_dict), "cannot save", "ckpt.safetensors", step,
                       "previous file");
    EXPECT_EQ(test::read_file_u8(path), old_bytes);
    EXPECT_EQ(dir.listing(), std::vector<std::string>{"ckpt.safetensors"});  // no temp left
  }
  io::testing::set_atomic_write_fault_hook(nullptr);
  g_fail_step = nullptr;
  save_safetensors(path, new_dict);
  EXPECT_EQ(load_safetensors(path).tensors.at("w").numel(), 1000);
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"ckpt.safetensors"});
}

TEST(Safetensors, SaveIntoAMissingDirectoryFails) {
  test::ScratchDir dir;
  StateDict d;
  d.insert("w", ones({2}));
  EXPECT_THROWS_WITH(save_safetensors(dir.file("no/such/dir/x.safetensors"), d), "cannot save",
                     "No such file or directory");
  EXPECT_TRUE(dir.listing().empty());
}

TEST(Safetensors, SaveIntoAReadOnlyDirectoryLeavesThePreviousFile) {
  test::ScratchDir dir;
  StateDict d;
  d.insert("w", ones({2}));
  const std::string path = dir.file("x.safetensors");
  save_safetensors(path, d);
  const std::vector<uint8_t> before = test::read_file_u8(path);
  std::filesystem::permissions(
      dir.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  if (::access(dir.path().c_str(), W_OK) == 0) {
    GTEST_SKIP() << "running as a user that can write to read-only directories (root)";
  }
  StateDict d2;
  d2.insert("w", zeros({3}));
  EXPECT_THROWS_WITH(save_safetensors(path, d2), "cannot save", "Permission denied");
  EXPECT_EQ(test::read_file_u8(path), before);
}

}  // namespace
}  // namespace gpunn
