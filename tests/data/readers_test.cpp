// Readers: IDX (every element type, gzip, every kind of corruption), the real
// Fashion-MNIST files (counts, first labels, checksums computed independently
// with Python's gzip and struct), CIFAR-10 batches and text files.
//
// The real-file tests skip with a message when Debian's dataset-fashion-mnist is
// not installed (tools/run.sh installs it).
#include <gpunn/gpunn.h>
#include <gpunn/parse.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "data/data_test_util.h"
#include "test_util.h"

namespace gpunn {
namespace {

using test::idx_header;
using test::idx_u8;
using test::put_be32;
using test::TempDir;
using test::write_bytes;

// ---- IDX: values -----------------------------------------------------------------

TEST(ReadIdx, Uint8ToFloatAndInt64) {
  TempDir dir;
  write_bytes(dir.file("a.idx"), idx_u8({2, 3}, {0, 1, 2, 253, 254, 255}));
  Tensor f = data::read_idx(dir.file("a.idx"));
  EXPECT_EQ(f.shape(), (Shape{2, 3}));
  EXPECT_EQ(f.dtype(), kFloat32);
  EXPECT_TRUE(test::values_near(f, {0, 1, 2, 253, 254, 255}, 0));
  Tensor s = data::read_idx(dir.file("a.idx"), kFloat64, 1.0 / 255.0);
  EXPECT_TRUE(
      test::values_near(s, {0, 1 / 255.0, 2 / 255.0, 253 / 255.0, 254 / 255.0, 1.0}, 1e-15));
  Tensor i = data::read_idx(dir.file("a.idx"), kInt64);
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 253, 254, 255}));
  const data::IdxHeader h = data::read_idx_header(dir.file("a.idx"));
  EXPECT_EQ(h.type_code, 0x08);
  EXPECT_EQ(h.dims, (Shape{2, 3}));
}

TEST(ReadIdx, EveryElementTypeBigEndian) {
  TempDir dir;
  // int8: -1, 127
  std::string s = idx_header(0x09, {2});
  s += "\xff\x7f";
  write_bytes(dir.file("i8"), s);
  EXPECT_EQ(data::read_idx(dir.file("i8"), kInt64).to_vector<int64_t>(),
            (std::vector<int64_t>{-1, 127}));
  // int16: -2, 0x0102
  s = idx_header(0x0B, {2});
  s += std::string("\xff\xfe\x01\x02", 4);
  write_bytes(dir.file("i16"), s);
  EXPECT_EQ(data::read_idx(dir.file("i16"), kInt64).to_vector<int64_t>(),
            (std::vector<int64_t>{-2, 258}));
  // int32: -70000, 0x01020304
  s = idx_header(0x0C, {1, 2});
  put_be32(s, static_cast<uint32_t>(-70000));
  put_be32(s, 0x01020304u);
  write_bytes(dir.file("i32"), s);
  EXPECT_EQ(data::read_idx(dir.file("i32"), kInt64).to_vector<int64_t>(),
            (std::vector<int64_t>{-70000, 16909060}));
  // float32: 1.5, -0.25
  s = idx_header(0x0D, {2});
  for (float v : {1.5f, -0.25f}) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    put_be32(s, bits);
  }
  write_bytes(dir.file("f32"), s);
  EXPECT_TRUE(test::values_near(data::read_idx(dir.file("f32"), kFloat64), {1.5, -0.25}, 0));
  // float64: pi
  s = idx_header(0x0E, {1});
  const double pi = 3.141592653589793;
  uint64_t bits;
  std::memcpy(&bits, &pi, 8);
  put_be32(s, static_cast<uint32_t>(bits >> 32));
  put_be32(s, static_cast<uint32_t>(bits));
  write_bytes(dir.file("f64"), s);
  EXPECT_TRUE(test::values_near(data::read_idx(dir.file("f64"), kFloat64), {pi}, 0));
  EXPECT_THROWS_WITH(data::read_idx(dir.file("f64"), kInt64), "read_idx", "f64",
                     "cannot read float64 elements as int64");
}

TEST(ReadIdx, EmptyDimIsAnEmptyTensor) {
  TempDir dir;
  write_bytes(dir.file("e"), idx_u8({0, 28, 28}, {}));
  EXPECT_EQ(data::read_idx(dir.file("e")).shape(), (Shape{0, 28, 28}));
}

// ---- IDX: corrupt and truncated files ------------------------------------------------

TEST(ReadIdx, CorruptFilesGiveErrorsNamingFileAndProblem) {
  TempDir dir;
  const std::vector<uint8_t> six = {1, 2, 3, 4, 5, 6};
  struct Case {
    const char* name;
    std::string bytes;
    std::vector<std::string> fragments;
  };
  std::string bad_magic = idx_u8({2, 3}, six);
  bad_magic[0] = 8;
  std::string bad_code = idx_u8({2, 3}, six);
  bad_code[2] = 0x0A;
  std::string rank0 = idx_u8({2, 3}, six);
  rank0[3] = 0;
  std::string rank9 = idx_header(0x08, {1, 1, 1, 1, 1, 1, 1, 1, 1});
  std::string truncated = idx_u8({2, 3}, six);
  truncated.pop_back();
  std::string longer = idx_u8({2, 3}, six) + "x";
  std::string wrong_dims = idx_u8({3, 3}, six);
  // Dims whose product is 2^64 (wraps to 0 in 64-bit arithmetic) and 2^40.
  std::string overflow = idx_header(0x08, {65536, 65536, 65536, 65536});
  std::string huge = idx_header(0x0E, {1u << 20, 1u << 20});
  const std::vector<Case> cases = {
      {"empty", "", {"shorter than the 4-byte magic"}},
      {"short", std::string("\0\0", 2), {"shorter than the 4-byte magic"}},
      {"bad_magic", bad_magic, {"two zero bytes"}},
      {"bad_code", bad_code, {"type code 0xa"}},
      {"rank0", rank0, {"rank 0"}},
      {"rank9", rank9, {"rank 9"}},
      {"header_cut", idx_header(0x08, {2, 3}).substr(0, 10), {"truncated IDX header"}},
      {"truncated", truncated, {"truncated", "[2, 3]", "17 bytes"}},
      {"longer", longer, {"longer", "19 bytes"}},
      {"wrong_dims", wrong_dims, {"[3, 3]", "truncated"}},
      {"overflow", overflow, {"2^50", "corrupt"}},
      {"huge", huge, {"[1048576, 1048576]", "truncated"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = dir.file(c.name);
    write_bytes(path, c.bytes);
    try {
      (void)data::read_idx(path);
      ADD_FAILURE() << "no error for " << c.name;
    } catch (const OutOfMemoryError& e) {
      ADD_FAILURE() << "tried to allocate for a corrupt header: " << e.what();
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("read_idx"), std::string::npos) << msg;
      EXPECT_NE(msg.find(path), std::string::npos) << msg;
      for (const std::string& f : c.fragments) EXPECT_NE(msg.find(f), std::string::npos) << msg;
    }
  }
}

TEST(ReadIdx, AbsurdHeaderFailsBeforeAllocating) {
  TempDir dir;
  // 2^40 float64 elements (8 TiB) announced by a 20-byte file.
  write_bytes(dir.file("absurd"), idx_header(0x0E, {1u << 20, 1u << 20}));
  const MemoryStats before = memory_stats();
  EXPECT_THROWS_WITH(data::read_idx(dir.file("absurd")), "truncated");
  EXPECT_EQ(memory_stats().num_allocations, before.num_allocations);
}

TEST(ReadIdx, MissingFile) {
  EXPECT_THROWS_WITH(data::read_idx("/nonexistent/gpunn/file.idx"), "read_idx",
                     "/nonexistent/gpunn/file.idx", "cannot open");
  TempDir dir;
  EXPECT_THROWS_WITH(data::read_idx(dir.str()), "read_idx", dir.str(), "is a directory");
}

// ---- gzip -----------------------------------------------------------------------------

TEST(ReadIdx, GzipWithoutZlibOrCorrupt) {
  TempDir dir;
  // The gzip magic followed by garbage: without zlib an error that says so,
  // with zlib a corrupt-data error.
  write_bytes(dir.file("junk.gz"), std::string("\x1f\x8b\x08\x00garbage!", 12));
  if (data::has_zlib()) {
    EXPECT_THROWS_WITH(data::read_idx(dir.file("junk.gz")), "junk.gz", "gzip");
  } else {
    EXPECT_THROWS_WITH(data::read_idx(dir.file("junk.gz")), "junk.gz", "GPUNN_WITH_ZLIB=OFF");
  }
  // A .gz name on data that is not gzip.
  write_bytes(dir.file("plain.gz"), idx_u8({1}, {7}));
  EXPECT_THROWS_WITH(data::read_idx(dir.file("plain.gz")), "plain.gz", "not gzip");
}

#if GPUNN_TEST_ZLIB
TEST(ReadIdx, GzipRoundTripAndCorruptions) {
  TempDir dir;
  std::vector<uint8_t> values(5000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<uint8_t>((i * 37) % 251);
  const std::string raw = idx_u8({50, 100}, values);
  const std::string gz = test::gzip_bytes(raw);
  write_bytes(dir.file("ok.gz"), gz);
  Tensor t = data::read_idx(dir.file("ok.gz"), kInt64);
  EXPECT_EQ(t.shape(), (Shape{50, 100}));
  EXPECT_EQ(t.to_vector<int64_t>(), std::vector<int64_t>(values.begin(), values.end()));
  // Gzip data without the .gz name is recognised by its magic bytes.
  write_bytes(dir.file("ok_noext"), gz);
  EXPECT_EQ(data::read_idx(dir.file("ok_noext")).numel(), 5000);
  // Two members read as their concatenation (the IDX then has trailing bytes).
  write_bytes(dir.file("two.gz"), gz + test::gzip_bytes("xy"));
  EXPECT_THROWS_WITH(data::read_idx(dir.file("two.gz")), "longer", "5014 bytes");
  EXPECT_EQ(data::read_file_bytes(dir.file("two.gz")), raw + "xy");

  // Truncated at several points, a flipped byte in the deflate data (caught by
  // the data or the CRC), a broken trailer, and garbage after the stream.
  for (size_t cut : {size_t{5}, size_t{12}, gz.size() / 2, gz.size() - 4, gz.size() - 1}) {
    SCOPED_TRACE(cut);
    write_bytes(dir.file("cut.gz"), gz.substr(0, cut));
    EXPECT_THROWS_WITH(data::read_idx(dir.file("cut.gz")), "read_idx", "cut.gz", "gzip");
  }
  std::string flipped = gz;
  flipped[gz.size() / 2] = static_cast<char>(flipped[gz.size() / 2] ^ 0x55);
  write_bytes(dir.file("flip.gz"), flipped);
  EXPECT_THROWS_WITH(data::read_idx(dir.file("flip.gz")), "flip.gz", "gzip");
  std::string crc = gz;
  crc[gz.size() - 6] = static_cast<char>(crc[gz.size() - 6] ^ 1);  // inside the CRC-32
  write_bytes(dir.file("crc.gz"), crc);
  EXPECT_THROWS_WITH(data::read_idx(dir.file("crc.gz")), "crc.gz", "corrupt gzip data");
  write_bytes(dir.file("tail.gz"), gz + "JUNK");
  EXPECT_THROWS_WITH(data::read_idx(dir.file("tail.gz")), "tail.gz", "trailing garbage");
}

TEST(ReadIdx, GzipBombIsBoundedByTheData) {
  // 64 MiB of zeros compress to ~64 KiB; a header announcing 2^40 elements must
  // fail on the size check after decompressing what is there, not allocate 2^40.
  TempDir dir;
  std::string raw = idx_header(0x08, {1u << 20, 1u << 20});
  raw.append(64u << 20, '\0');
  write_bytes(dir.file("bomb.gz"), test::gzip_bytes(raw));
  EXPECT_THROWS_WITH(data::read_idx(dir.file("bomb.gz")), "bomb.gz", "truncated");
}
#endif

// ---- MNIST-format folders -----------------------------------------------------------

// Writes a small MNIST-format split: n images whose pixels are all (i % 256)
// and labels i % 10.
void write_mini_mnist(const TempDir& dir, const std::string& prefix, uint32_t n) {
  std::vector<uint8_t> px(static_cast<size_t>(n) * 784);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i / 784) % 256);
  std::vector<uint8_t> labels(n);
  for (uint32_t i = 0; i < n; ++i) labels[i] = static_cast<uint8_t>(i % 10);
  write_bytes(dir.file(prefix + "-images-idx3-ubyte"), idx_u8({n, 28, 28}, px));
  write_bytes(dir.file(prefix + "-labels-idx1-ubyte"), idx_u8({n}, labels));
}

TEST(LoadMnist, SmallFolderPlainFiles) {
  TempDir dir;
  write_mini_mnist(dir, "train", 12);
  write_mini_mnist(dir, "t10k", 3);
  data::TensorDataset train = data::load_mnist(dir.str(), data::Split::Train);
  EXPECT_EQ(train.size(), 12);
  EXPECT_EQ(train.data().shape(), (Shape{12, 1, 28, 28}));
  EXPECT_EQ(train.target().dtype(), kInt64);
  EXPECT_NEAR(train.get(5).data[0][3][4].item(), 5.0 / 255.0, 1e-7);
  EXPECT_EQ(train.get(11).target.item<int64_t>(), 1);
  EXPECT_EQ(data::load_fashion_mnist(dir.str(), data::Split::Test).size(), 3);
}

TEST(LoadMnist, ValidatesTheFolder) {
  TempDir dir;
  EXPECT_THROWS_WITH(data::load_mnist(dir.str(), data::Split::Train), "load_mnist", dir.str(),
                     "train-images-idx3-ubyte.gz");
  write_mini_mnist(dir, "train", 4);
  // Labels file with one label too many.
  write_bytes(dir.file("train-labels-idx1-ubyte"), idx_u8({5}, {0, 1, 2, 3, 4}));
  EXPECT_THROWS_WITH(data::load_mnist(dir.str(), data::Split::Train), "4 images", "5 labels");
  // A label out of range.
  write_bytes(dir.file("train-labels-idx1-ubyte"), idx_u8({4}, {0, 1, 12, 3}));
  EXPECT_THROWS_WITH(data::load_mnist(dir.str(), data::Split::Train), "label 12", "example 2");
  // Images that are not 28x28.
  write_bytes(dir.file("train-labels-idx1-ubyte"), idx_u8({4}, {0, 1, 2, 3}));
  write_bytes(dir.file("train-images-idx3-ubyte"), idx_u8({4, 2, 2}, std::vector<uint8_t>(16, 0)));
  EXPECT_THROWS_WITH(data::load_mnist(dir.str(), data::Split::Train), "[N, 28, 28]", "[4, 2, 2]");
}

// ---- the real Fashion-MNIST ----------------------------------------------------------

#define SKIP_WITHOUT_FASHION_MNIST()                                                        \
  if (!data::find_fashion_mnist())                                                          \
  GTEST_SKIP() << "Fashion-MNIST is not installed: install Debian's dataset-fashion-mnist " \
                  "(tools/run.sh does) or set GPUNN_FASHION_MNIST_DIR"

// Independent checksums from Python (gzip + struct) over the package's files:
// the sum of all pixel bytes, and sum over images k of (k % 1000 + 1) times
// image k's byte sum, which also catches images out of order.
struct Reference {
  int64_t count;
  std::vector<int64_t> first_labels;
  int64_t pixel_sum;
  int64_t weighted_sum;
  int64_t first_image_sum;
  int64_t last_image_sum;
};

void check_split(const data::TensorDataset& d, const Reference& ref) {
  ASSERT_EQ(d.size(), ref.count);
  EXPECT_EQ(d.data().shape(), (Shape{ref.count, 1, 28, 28}));
  EXPECT_EQ(d.data().dtype(), kFloat32);
  const std::vector<int64_t> labels = d.target().to_vector<int64_t>();
  EXPECT_EQ(std::vector<int64_t>(labels.begin(), labels.begin() + 10), ref.first_labels);
  std::vector<int64_t> per_class(10, 0);
  for (int64_t l : labels) per_class[static_cast<size_t>(l)]++;
  EXPECT_EQ(per_class, std::vector<int64_t>(10, ref.count / 10));  // balanced classes
  const float* x = d.data().data<float>();
  int64_t total = 0, weighted = 0, first = 0, last = 0;
  for (int64_t k = 0; k < ref.count; ++k) {
    int64_t s = 0;
    for (int64_t i = 0; i < 784; ++i) {
      const float v = x[k * 784 + i];
      ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
      s += std::lround(v * 255.0f);
    }
    total += s;
    weighted += (k % 1000 + 1) * s;
    if (k == 0) first = s;
    if (k == ref.count - 1) last = s;
  }
  EXPECT_EQ(total, ref.pixel_sum);
  EXPECT_EQ(weighted, ref.weighted_sum);
  EXPECT_EQ(first, ref.first_image_sum);
  EXPECT_EQ(last, ref.last_image_sum);
}

TEST(FashionMnist, RealTrainingSet) {
  SKIP_WITHOUT_FASHION_MNIST();
  const auto t0 = std::chrono::steady_clock::now();
  data::TensorDataset train =
      data::load_fashion_mnist(*data::find_fashion_mnist(), data::Split::Train);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "[ info ] loading the Fashion-MNIST training set took " << seconds << " s\n";
  check_split(train,
              {60000, {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, 3431114169, 1718610197171, 76247, 16684});
}

TEST(FashionMnist, RealTestSet) {
  SKIP_WITHOUT_FASHION_MNIST();
  data::TensorDataset test =
      data::load_fashion_mnist(*data::find_fashion_mnist(), data::Split::Test);
  check_split(test, {10000, {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, 573469082, 286213652525, 33456, 24390});
  EXPECT_EQ(data::fashion_mnist_classes().size(), 10u);
  EXPECT_EQ(data::fashion_mnist_classes()[9], "Ankle boot");
}

TEST(FashionMnist, TruncatedAndCorruptCopiesOfTheRealFiles) {
  SKIP_WITHOUT_FASHION_MNIST();
  const std::string src = *data::find_fashion_mnist();
  TempDir dir;
  for (const char* f : {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
    std::filesystem::copy_file(std::filesystem::path(src) / f, dir.file(f));
  }
  const std::string images = test::read_bytes(dir.file("t10k-images-idx3-ubyte.gz"));
  ASSERT_GT(images.size(), 1000u);
  // Truncated in the middle of the compressed stream.
  write_bytes(dir.file("t10k-images-idx3-ubyte.gz"), images.substr(0, images.size() / 3));
  if (data::has_zlib()) {
    EXPECT_THROWS_WITH(data::load_fashion_mnist(dir.str(), data::Split::Test), "load_fashion_mnist",
                       "t10k-images-idx3-ubyte.gz", "truncated gzip");
  } else {
    EXPECT_THROWS_WITH(data::load_fashion_mnist(dir.str(), data::Split::Test),
                       "GPUNN_WITH_ZLIB=OFF");
  }
  // A corrupted byte inside the deflate stream.
  std::string corrupt = images;
  for (size_t i = 1000; i < 1100; ++i) corrupt[i] = static_cast<char>(~corrupt[i]);
  write_bytes(dir.file("t10k-images-idx3-ubyte.gz"), corrupt);
  EXPECT_THROWS_WITH(data::load_fashion_mnist(dir.str(), data::Split::Test),
                     "t10k-images-idx3-ubyte.gz", "gzip");
}

// ---- CIFAR-10 -------------------------------------------------------------------------

std::string cifar_records(int n, int label_offset = 0) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    s.push_back(static_cast<char>((i + label_offset) % 10));
    for (int p = 0; p < 3072; ++p) s.push_back(static_cast<char>((p / 1024) * 100 + i));
  }
  return s;
}

TEST(Cifar10, ReadsBatchesAndFolders) {
  TempDir dir;
  write_bytes(dir.file("one.bin"), cifar_records(3));
  data::TensorDataset d = data::read_cifar10_batch(dir.file("one.bin"));
  EXPECT_EQ(d.data().shape(), (Shape{3, 3, 32, 32}));
  EXPECT_EQ(d.target().to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2}));
  // Image 2: red plane 2, green 102, blue 202 (over 255).
  EXPECT_NEAR(d.data()[2][0][5][7].item(), 2 / 255.0, 1e-7);
  EXPECT_NEAR(d.data()[2][1][0][0].item(), 102 / 255.0, 1e-7);
  EXPECT_NEAR(d.data()[2][2][31][31].item(), 202 / 255.0, 1e-7);

  std::filesystem::create_directories(dir.file("cifar-10-batches-bin"));
  for (int b = 1; b <= 5; ++b) {
    write_bytes(dir.file("cifar-10-batches-bin/data_batch_" + std::to_string(b) + ".bin"),
                cifar_records(2, b));
  }
  write_bytes(dir.file("test_batch.bin"), cifar_records(4));
  data::TensorDataset train = data::load_cifar10(dir.str(), data::Split::Train);
  EXPECT_EQ(train.size(), 10);
  EXPECT_EQ(train.target().to_vector<int64_t>(),
            (std::vector<int64_t>{1, 2, 2, 3, 3, 4, 4, 5, 5, 6}));
  EXPECT_EQ(data::load_cifar10(dir.str(), data::Split::Test).size(), 4);
  EXPECT_EQ(data::cifar10_classes()[0], "airplane");
}

TEST(Cifar10, CorruptFiles) {
  TempDir dir;
  std::string truncated = cifar_records(2);
  truncated.pop_back();
  write_bytes(dir.file("trunc.bin"), truncated);
  EXPECT_THROWS_WITH(data::read_cifar10_batch(dir.file("trunc.bin")), "read_cifar10_batch",
                     "trunc.bin", "6145 bytes", "3073");
  std::string bad_label = cifar_records(3);
  bad_label[3073] = 10;
  write_bytes(dir.file("label.bin"), bad_label);
  EXPECT_THROWS_WITH(data::read_cifar10_batch(dir.file("label.bin")), "label.bin", "record 1",
                     "label 10");
  write_bytes(dir.file("empty.bin"), "");
  EXPECT_THROWS_WITH(data::read_cifar10_batch(dir.file("empty.bin")), "size 0 bytes");
  EXPECT_THROWS_WITH(data::load_cifar10(dir.str(), data::Split::Train), "load_cifar10",
                     "data_batch_1.bin");
}

// ---- in memory (gpunn/parse.h) -------------------------------------------------------

TEST(ParseInMemory, SameResultsAndErrorsAsTheFileReaders) {
  TempDir dir;
  const std::string idx = idx_u8({2, 3}, {0, 1, 2, 253, 254, 255});
  write_bytes(dir.file("a.idx"), idx);
  EXPECT_EQ(data::parse_idx(idx, kFloat64, 0.5).to_vector<double>(),
            data::read_idx(dir.file("a.idx"), kFloat64, 0.5).to_vector<double>());
  EXPECT_EQ(data::parse_idx(idx, kInt64).shape(), (Shape{2, 3}));
  EXPECT_THROWS_WITH(data::parse_idx(idx.substr(0, 8), kFloat32, 1.0, "mem.idx"),
                     "parse_idx: 'mem.idx'", "truncated IDX header");
  EXPECT_THROWS_WITH(data::parse_idx(idx + "x"), "'<memory>'", "file is longer");
  EXPECT_THROWS_WITH(data::parse_idx(idx, kFloat32, 1.0, "plain.gz"), "plain.gz", "not gzip data");

  const std::string cifar = cifar_records(2);
  data::TensorDataset d = data::parse_cifar10_batch(cifar, "batch.bin");
  EXPECT_EQ(d.target().to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
  EXPECT_NEAR(d.data()[1][1][0][0].item(), 101 / 255.0, 1e-7);
  EXPECT_THROWS_WITH(data::parse_cifar10_batch(cifar.substr(1), "batch.bin"),
                     "parse_cifar10_batch: 'batch.bin'", "6145 bytes");
#if GPUNN_TEST_ZLIB
  EXPECT_EQ(data::parse_idx(test::gzip_bytes(idx), kFloat32, 1.0, "a.idx.gz").to_vector<float>(),
            (std::vector<float>{0, 1, 2, 253, 254, 255}));
  EXPECT_EQ(data::parse_cifar10_batch(test::gzip_bytes(cifar)).size(), 2);
  const std::string gz = test::gzip_bytes(idx);
  EXPECT_THROWS_WITH(data::parse_idx(gz.substr(0, gz.size() - 6), kFloat32, 1.0, "t.gz"),
                     "parse_idx: 't.gz'", "truncated gzip data");
#endif
}

// ---- text -----------------------------------------------------------------------------

TEST(TextFile, PlainAndProperNames) {
  TempDir dir;
  write_bytes(dir.file("t.txt"), "hello\nworld\n");
  EXPECT_EQ(data::read_text_file(dir.file("t.txt")), "hello\nworld\n");
  const auto names = data::find_propernames();
  if (!names) GTEST_SKIP() << "Debian's miscfiles (/usr/share/dict/propernames) is not installed";
  const std::string text = data::read_text_file(*names);
  // One name per line: about 1300 names, ASCII letters (some with spaces).
  int64_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_GT(lines, 1000);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.substr(0, 6), "Aaron\n");
}

}  // namespace
}  // namespace gpunn
