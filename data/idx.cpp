// IDX files (the MNIST format) and the MNIST / Fashion-MNIST loaders.
//
// IDX: a 4-byte magic {0, 0, type code, rank}, then rank big-endian uint32 dims,
// then the elements row-major, big-endian, with nothing after them. Type codes:
// 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
#include <gpunn/data/readers.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <type_traits>

#include "data/file_io.h"

namespace gpunn::data {
namespace {

constexpr int kMaxIdxRank = 8;

int element_size(uint8_t code) {
  switch (code) {
    case 0x08:
    case 0x09:
      return 1;
    case 0x0B:
      return 2;
    case 0x0C:
    case 0x0D:
      return 4;
    case 0x0E:
      return 8;
    default:
      return 0;
  }
}

const char* type_name(uint8_t code) {
  switch (code) {
    case 0x08:
      return "uint8";
    case 0x09:
      return "int8";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return "unknown";
  }
}

uint64_t load_be(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

struct ParsedIdx {
  IdxHeader header;
  size_t data_offset = 0;
  int64_t numel = 0;
};

// Validates the header and that the byte count matches it exactly.
ParsedIdx check_idx(const std::string& bytes, const std::string& path, const char* op) {
  const std::string where = detail::file_prefix(op, path);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  GPUNN_CHECK(bytes.size() >= 4, where, "not an IDX file: ", bytes.size(),
              " bytes is shorter than the 4-byte magic number");
  GPUNN_CHECK(p[0] == 0 && p[1] == 0, where, "not an IDX file: the magic number must start with ",
              "two zero bytes, got ", int{p[0]}, " ", int{p[1]});
  ParsedIdx r;
  r.header.type_code = p[2];
  const int esize = element_size(p[2]);
  GPUNN_CHECK(esize != 0, where, "unknown IDX element type code 0x", std::hex, int{p[2]}, std::dec,
              " (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)");
  const int rank = p[3];
  GPUNN_CHECK(rank >= 1 && rank <= kMaxIdxRank, where, "IDX rank ", rank,
              " is not supported (expected 1 to ", kMaxIdxRank, ")");
  r.data_offset = 4 + 4 * static_cast<size_t>(rank);
  GPUNN_CHECK(bytes.size() >= r.data_offset, where, "truncated IDX header: rank ", rank, " needs ",
              r.data_offset, " header bytes, the file has ", bytes.size());
  // Multiply with an overflow check: dims are up to 2^32 - 1 each.
  uint64_t numel = 1;
  bool overflow = false;
  for (int d = 0; d < rank; ++d) {
    const uint64_t dim = load_be(p + 4 + 4 * d, 4);
    r.header.dims.push_back(static_cast<int64_t>(dim));
    if (dim != 0 && numel > (uint64_t{1} << 50) / dim) overflow = true;
    numel *= dim;
  }
  GPUNN_CHECK(!overflow, where, "IDX dims ", r.header.dims, " claim more elements than any ",
              "real file holds (more than 2^50); the header is corrupt");
  const uint64_t expected = r.data_offset + numel * static_cast<uint64_t>(esize);
  GPUNN_CHECK(bytes.size() == expected, where, "IDX header announces ", type_name(p[2]), " ",
              r.header.dims, " (", expected, " bytes with the header), but the ",
              bytes.size() < expected ? "data is truncated: " : "file is longer: ", bytes.size(),
              " bytes");
  r.numel = static_cast<int64_t>(numel);
  return r;
}

template <typename Out>
void convert(Out* out, const unsigned char* p, int64_t n, uint8_t code, double scale) {
  for (int64_t i = 0; i < n; ++i) {
    double v = 0;
    switch (code) {
      case 0x08:
        v = p[i];
        break;
      case 0x09:
        v = static_cast<int8_t>(p[i]);
        break;
      case 0x0B:
        v = static_cast<int16_t>(static_cast<uint16_t>(load_be(p + 2 * i, 2)));
        break;
      case 0x0C:
        v = static_cast<int32_t>(static_cast<uint32_t>(load_be(p + 4 * i, 4)));
        break;
      case 0x0D: {
        const auto bits = static_cast<uint32_t>(load_be(p + 4 * i, 4));
        float f;
        std::memcpy(&f, &bits, 4);
        v = f;
        break;
      }
      case 0x0E: {
        const uint64_t bits = load_be(p + 8 * i, 8);
        std::memcpy(&v, &bits, 8);
        break;
      }
    }
    if constexpr (std::is_same_v<Out, int64_t>) {
      out[i] = static_cast<int64_t>(v);
    } else {
      out[i] = static_cast<Out>(v * scale);
    }
  }
}

Tensor idx_to_tensor(const std::string& bytes, const ParsedIdx& idx, DType dtype, double scale) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + idx.data_offset;
  Tensor t = empty(idx.header.dims, TensorOptions(dtype));
  const uint8_t code = idx.header.type_code;
  switch (dtype) {
    case DType::Float32:
      if (code == 0x08) {
        // The common case (image bytes): a table instead of a conversion per element.
        float table[256];
        for (int i = 0; i < 256; ++i) table[i] = static_cast<float>(i * scale);
        float* out = t.data<float>();
        for (int64_t i = 0; i < idx.numel; ++i) out[i] = table[p[i]];
      } else {
        convert(t.data<float>(), p, idx.numel, code, scale);
      }
      break;
    case DType::Float64:
      convert(t.data<double>(), p, idx.numel, code, scale);
      break;
    case DType::Int64:
      convert(t.data<int64_t>(), p, idx.numel, code, 1.0);
      break;
    case DType::BFloat16:
      convert(t.data<BFloat16>(), p, idx.numel, code, scale);
      break;
    case DType::Float16:
      convert(t.data<Half>(), p, idx.numel, code, scale);
      break;
  }
  return t;
}

}  // namespace

IdxHeader read_idx_header(const std::string& path) {
  const std::string bytes = detail::read_file(path, "read_idx_header");
  return check_idx(bytes, path, "read_idx_header").header;
}

namespace {

Tensor idx_from_bytes(const std::string& bytes, const std::string& path, DType dtype, double scale,
                      const char* op) {
  const ParsedIdx idx = check_idx(bytes, path, op);
  const uint8_t code = idx.header.type_code;
  GPUNN_CHECK(dtype != kInt64 || (code != 0x0D && code != 0x0E), detail::file_prefix(op, path),
              "cannot read ", type_name(code), " elements as int64");
  GPUNN_CHECK(std::isfinite(scale), op, ": scale must be finite, got ", scale);
  return idx_to_tensor(bytes, idx, dtype, scale);
}

}  // namespace

Tensor read_idx(const std::string& path, DType dtype, double scale) {
  return idx_from_bytes(detail::read_file(path, "read_idx"), path, dtype, scale, "read_idx");
}

Tensor parse_idx(const std::string& bytes, DType dtype, double scale, const std::string& name) {
  return idx_from_bytes(detail::decode_file(bytes, name, "parse_idx"), name, dtype, scale,
                        "parse_idx");
}

namespace {

namespace fs = std::filesystem;

// dir/<stem> or dir/<stem>.gz, with either spelling of the stem's dash/dot.
std::string find_idx_file(const std::string& dir, const std::string& prefix,
                          const std::string& kind, const char* op) {
  const std::vector<std::string> stems = {prefix + "-" + kind, prefix + "." + kind};
  std::vector<std::string> tried;
  for (const std::string& stem : stems) {
    for (const char* ext : {"", ".gz"}) {
      const fs::path p = fs::path(dir) / (stem + ext);
      std::error_code ec;
      if (fs::is_regular_file(p, ec)) return p.string();
      tried.push_back(p.filename().string());
    }
  }
  std::string names;
  for (const std::string& t : tried) names += (names.empty() ? "" : ", ") + t;
  gpunn::detail::throw_error(op, ": no ", prefix, " ", kind, " file in '", dir, "' (looked for ",
                             names, ")");
}

TensorDataset load_mnist_format(const std::string& dir, Split split, const char* op) {
  const std::string prefix = split == Split::Train ? "train" : "t10k";
  const std::string images_path = find_idx_file(dir, prefix, "images-idx3-ubyte", op);
  const std::string labels_path = find_idx_file(dir, prefix, "labels-idx1-ubyte", op);

  const std::string image_bytes = detail::read_file(images_path, op);
  const ParsedIdx images = check_idx(image_bytes, images_path, op);
  GPUNN_CHECK(images.header.type_code == 0x08 && images.header.dims.size() == 3 &&
                  images.header.dims[1] == 28 && images.header.dims[2] == 28,
              detail::file_prefix(op, images_path), "expected uint8 images [N, 28, 28], got ",
              type_name(images.header.type_code), " ", images.header.dims);
  const std::string label_bytes = detail::read_file(labels_path, op);
  const ParsedIdx labels = check_idx(label_bytes, labels_path, op);
  GPUNN_CHECK(labels.header.type_code == 0x08 && labels.header.dims.size() == 1,
              detail::file_prefix(op, labels_path), "expected uint8 labels [N], got ",
              type_name(labels.header.type_code), " ", labels.header.dims);
  const int64_t n = images.header.dims[0];
  GPUNN_CHECK(labels.header.dims[0] == n, op, ": ", n, " images in '", images_path, "' but ",
              labels.header.dims[0], " labels in '", labels_path, "'");
  const auto* lp = reinterpret_cast<const unsigned char*>(label_bytes.data()) + labels.data_offset;
  for (int64_t i = 0; i < n; ++i) {
    GPUNN_CHECK(lp[i] < 10, detail::file_prefix(op, labels_path), "label ", int{lp[i]},
                " of example ", i, " is not a class 0..9");
  }
  Tensor x = idx_to_tensor(image_bytes, images, kFloat32, 1.0 / 255.0).view({n, 1, 28, 28});
  Tensor y = idx_to_tensor(label_bytes, labels, kInt64, 1.0);
  return TensorDataset(x, y);
}

}  // namespace

TensorDataset load_mnist(const std::string& dir, Split split) {
  return load_mnist_format(dir, split, "load_mnist");
}

TensorDataset load_fashion_mnist(const std::string& dir, Split split) {
  return load_mnist_format(dir, split, "load_fashion_mnist");
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

std::optional<std::string> find_fashion_mnist() {
  const auto holds_images = [](const std::string& dir) {
    for (const char* name : {"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"}) {
      std::error_code ec;
      const bool readable = has_zlib() || name[std::strlen(name) - 1] != 'z';
      if (readable && fs::is_regular_file(fs::path(dir) / name, ec)) return true;
    }
    return false;
  };
  // A folder the user named is the one meant: pointing nowhere is an error, not a reason to
  // fall back to another copy.
  if (const char* env = std::getenv("GPUNN_FASHION_MNIST_DIR"); env && *env) {
    GPUNN_CHECK(holds_images(env), "GPUNN_FASHION_MNIST_DIR=", env, " holds no ",
                has_zlib() ? "train-images-idx3-ubyte(.gz)" : "train-images-idx3-ubyte",
                " (point it at the Fashion-MNIST folder, or unset it to use "
                "/usr/share/datasets/fashion-mnist)");
    return std::string(env);
  }
  const std::string debian = "/usr/share/datasets/fashion-mnist";  // dataset-fashion-mnist
  if (holds_images(debian)) return debian;
  return std::nullopt;
}

}  // namespace gpunn::data
