// CIFAR-10 binary batches: records of 1 label byte and 32*32*3 pixel bytes
// (the red plane, then green, then blue, each row-major), 10000 records a file.
#include <gpunn/data/readers.h>

#include <cstring>
#include <filesystem>

#include "data/file_io.h"

namespace gpunn::data {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kPixels = 3 * 32 * 32;
constexpr int64_t kRecord = 1 + kPixels;

// Appends the records in a file's content `bytes` to pixels/labels.
void parse_records(const std::string& bytes, const std::string& path, const char* op,
                   std::vector<unsigned char>& pixels, std::vector<int64_t>& labels) {
  const std::string where = detail::file_prefix(op, path);
  GPUNN_CHECK(!bytes.empty() && bytes.size() % kRecord == 0, where, "size ", bytes.size(),
              " bytes is not a whole number of CIFAR-10 records of ", kRecord,
              " bytes (1 label + 3072 pixels)",
              bytes.empty() ? "" : "; the file is truncated or not a CIFAR-10 batch");
  const int64_t n = static_cast<int64_t>(bytes.size()) / kRecord;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t first = pixels.size();
  pixels.resize(first + static_cast<size_t>(n * kPixels));
  for (int64_t i = 0; i < n; ++i) {
    const unsigned char label = p[i * kRecord];
    GPUNN_CHECK(label < 10, where, "record ", i, " has label ", int{label},
                ", expected a class 0..9 (is this a CIFAR-100 file, or corrupt?)");
    labels.push_back(label);
    std::memcpy(pixels.data() + first + i * kPixels, p + i * kRecord + 1, kPixels);
  }
}

void read_records(const std::string& path, const char* op, std::vector<unsigned char>& pixels,
                  std::vector<int64_t>& labels) {
  parse_records(detail::read_file(path, op), path, op, pixels, labels);
}

TensorDataset to_dataset(const std::vector<unsigned char>& pixels,
                         const std::vector<int64_t>& labels) {
  const auto n = static_cast<int64_t>(labels.size());
  Tensor x = empty({n, 3, 32, 32}, kFloat32);
  float* out = x.data<float>();
  for (size_t i = 0; i < pixels.size(); ++i) out[i] = static_cast<float>(pixels[i]) / 255.0f;
  return TensorDataset(x, tensor_from(labels, {n}));
}

std::string find_batch_file(const std::string& dir, const std::string& name, const char* op) {
  for (const fs::path& folder : {fs::path(dir), fs::path(dir) / "cifar-10-batches-bin"}) {
    for (const char* ext : {"", ".gz"}) {
      const fs::path p = folder / (name + ext);
      std::error_code ec;
      if (fs::is_regular_file(p, ec)) return p.string();
    }
  }
  gpunn::detail::throw_error(op, ": no ", name, " (or ", name, ".gz) in '", dir, "' or in '",
                             (fs::path(dir) / "cifar-10-batches-bin").string(), "'");
}

}  // namespace

TensorDataset read_cifar10_batch(const std::string& path) {
  std::vector<unsigned char> pixels;
  std::vector<int64_t> labels;
  read_records(path, "read_cifar10_batch", pixels, labels);
  return to_dataset(pixels, labels);
}

TensorDataset parse_cifar10_batch(const std::string& bytes, const std::string& name) {
  const char* op = "parse_cifar10_batch";
  std::vector<unsigned char> pixels;
  std::vector<int64_t> labels;
  parse_records(detail::decode_file(bytes, name, op), name, op, pixels, labels);
  return to_dataset(pixels, labels);
}

TensorDataset load_cifar10(const std::string& dir, Split split) {
  const char* op = "load_cifar10";
  std::vector<std::string> names;
  if (split == Split::Train) {
    for (int i = 1; i <= 5; ++i) names.push_back("data_batch_" + std::to_string(i) + ".bin");
  } else {
    names.push_back("test_batch.bin");
  }
  std::vector<unsigned char> pixels;
  std::vector<int64_t> labels;
  for (const std::string& name : names) {
    read_records(find_batch_file(dir, name, op), op, pixels, labels);
  }
  return to_dataset(pixels, labels);
}

const std::vector<std::string>& cifar10_classes() {
  static const std::vector<std::string> names = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return names;
}

}  // namespace gpunn::data
