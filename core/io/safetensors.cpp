// safetensors reading and writing (gpunn/io/safetensors.h).
//
// Loading is two steps: parse_header() checks the header against the size of
// the byte buffer and returns a list of validated entries; only then are bytes
// read and decoded, so no offset from the file is used before it is checked.
#include <gpunn/io/safetensors.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>

#include "core/io/atomic_file.h"
#include "core/io/json.h"
#include "kernels/elementwise.h"

namespace gpunn::io {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors I/O assumes a little-endian host");

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the format's limit
constexpr int kMaxJsonDepth = 8;                   // header is 3 levels deep

enum class Decode { Native, SignedInt, UnsignedInt, Bool, U64 };

struct FileDType {
  const char* name;
  int64_t itemsize;
  DType dtype;  // what gpunn loads it as
  Decode decode;
};

constexpr FileDType kDTypes[] = {
    {"F32", 4, kFloat32, Decode::Native},    {"F64", 8, kFloat64, Decode::Native},
    {"I64", 8, kInt64, Decode::Native},      {"F16", 2, kFloat16, Decode::Native},
    {"BF16", 2, kBFloat16, Decode::Native},  {"I32", 4, kInt64, Decode::SignedInt},
    {"I16", 2, kInt64, Decode::SignedInt},   {"I8", 1, kInt64, Decode::SignedInt},
    {"U32", 4, kInt64, Decode::UnsignedInt}, {"U16", 2, kInt64, Decode::UnsignedInt},
    {"U8", 1, kInt64, Decode::UnsignedInt},  {"BOOL", 1, kInt64, Decode::Bool},
    {"U64", 8, kInt64, Decode::U64},
};

const char* file_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return "F32";
    case DType::Float64:
      return "F64";
    case DType::Int64:
      return "I64";
    case DType::BFloat16:
      return "BF16";
    case DType::Float16:
      return "F16";
  }
  GPUNN_ASSERT(false, "unknown dtype");
}

struct Entry {
  std::string name;
  const FileDType* type;
  Shape shape;
  int64_t numel;
  uint64_t begin, end;  // relative to the byte buffer
};

struct Header {
  std::vector<Entry> entries;
  std::map<std::string, std::string> metadata;
};

template <typename... Args>
[[noreturn]] void bad(const std::string& file, const Args&... args) {
  detail::throw_error("safetensors '", file, "': ", args...);
}

const json::Value& member(const std::string& file, const std::string& tensor,
                          const json::Value& obj, const char* key, json::Value::Kind kind) {
  const json::Value* v = obj.find(key);
  if (v == nullptr) bad(file, "tensor '", tensor, "' has no \"", key, "\"");
  if (v->kind != kind)
    bad(file, "tensor '", tensor, "': \"", key, "\" must be a JSON ", json::kind_name(kind),
        ", got a ", json::kind_name(v->kind));
  return *v;
}

int64_t non_negative_int(const std::string& file, const std::string& tensor, const char* what,
                         const json::Value& v) {
  int64_t x = 0;
  if (!v.as_int64(&x) || x < 0)
    bad(file, "tensor '", tensor, "': ", what,
        " must be non-negative integers that fit in 64 bits, got ",
        v.is_number() ? v.text : std::string(json::kind_name(v.kind)));
  return x;
}

Entry parse_entry(const std::string& file, const std::string& name, const json::Value& v,
                  uint64_t buffer_size) {
  if (!v.is_object())
    bad(file, "tensor '", name, "' must be described by a JSON object, got a ",
        json::kind_name(v.kind));
  for (const auto& [key, unused] : v.object) {
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      bad(file, "tensor '", name, "' has an unknown field ", json::quote(key),
          " (expected dtype, shape and data_offsets)");
  }
  Entry e;
  e.name = name;
  const std::string& dtype = member(file, name, v, "dtype", json::Value::Kind::String).text;
  e.type = nullptr;
  for (const FileDType& t : kDTypes)
    if (dtype == t.name) e.type = &t;
  if (e.type == nullptr) {
    if (dtype.rfind("F8", 0) == 0)
      bad(file, "tensor '", name, "' has dtype ", dtype,
          ", an 8-bit float gpunn does not load (convert it to F16, BF16 or F32 first)");
    bad(file, "tensor '", name, "' has unknown dtype ", json::quote(dtype),
        " (known: F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL)");
  }

  const json::Value& shape = member(file, name, v, "shape", json::Value::Kind::Array);
  if (shape.array.size() > static_cast<size_t>(kernels::kMaxDims))
    bad(file, "tensor '", name, "' has ", shape.array.size(), " dims; gpunn supports at most ",
        kernels::kMaxDims);
  // numel · itemsize must fit in int64 (and so in the file).
  const int64_t limit = std::numeric_limits<int64_t>::max() / e.type->itemsize;
  e.numel = 1;
  for (const json::Value& d : shape.array) {
    const int64_t size = non_negative_int(file, name, "shape entries", d);
    e.shape.push_back(size);
  }
  for (const int64_t size : e.shape) {
    if (size != 0 && e.numel > limit / size) {
      bad(file, "tensor '", name, "' has shape ", e.shape, " whose size overflows 64 bits");
    }
    e.numel *= size;
  }

  const json::Value& offsets = member(file, name, v, "data_offsets", json::Value::Kind::Array);
  if (offsets.array.size() != 2)
    bad(file, "tensor '", name, "': data_offsets must be [begin, end], got ", offsets.array.size(),
        " numbers");
  e.begin = static_cast<uint64_t>(non_negative_int(file, name, "data_offsets", offsets.array[0]));
  e.end = static_cast<uint64_t>(non_negative_int(file, name, "data_offsets", offsets.array[1]));
  if (e.begin > e.end)
    bad(file, "tensor '", name, "': data_offsets [", e.begin, ", ", e.end,
        "] end before they begin");
  if (e.end > buffer_size)
    bad(file, "tensor '", name, "': data_offsets [", e.begin, ", ", e.end,
        "] run past the end of the ", buffer_size, "-byte data buffer (file truncated?)");
  const uint64_t expected = static_cast<uint64_t>(e.numel * e.type->itemsize);
  if (e.end - e.begin != expected)
    bad(file, "tensor '", name, "': data_offsets [", e.begin, ", ", e.end, "] hold ",
        e.end - e.begin, " bytes, but ", e.type->name, " shape ", e.shape, " needs ", expected);
  return e;
}

Header parse_header(const std::string& file, const char* text, size_t size, uint64_t buffer_size) {
  if (size == 0 || text[0] != '{') bad(file, "the header does not start with '{'");
  json::Value root;
  try {
    root = json::parse(text, size, kMaxJsonDepth);
  } catch (const json::JsonError& e) {
    bad(file, "header: ", e.what());
  }
  Header h;
  for (const auto& [key, v] : root.object) {
    if (key == "__metadata__") {
      if (!v.is_object())
        bad(file, "__metadata__ must be a JSON object, got a ", json::kind_name(v.kind));
      for (const auto& [mk, mv] : v.object) {
        if (!mv.is_string())
          bad(file, "__metadata__ value of ", json::quote(mk), " must be a string, got a ",
              json::kind_name(mv.kind));
        h.metadata.emplace(mk, mv.text);
      }
      continue;
    }
    h.entries.push_back(parse_entry(file, key, v, buffer_size));
  }
  // The tensors must tile the byte buffer: sorted by offset, each starts where the
  // previous one ended, and the last one ends at the end of the buffer.
  std::vector<const Entry*> by_offset;
  for (const Entry& e : h.entries) by_offset.push_back(&e);
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry* e : by_offset) {
    if (e->begin < covered)
      bad(file, "tensors '", previous->name, "' [", previous->begin, ", ", previous->end, ") and '",
          e->name, "' [", e->begin, ", ", e->end, ") overlap");
    if (e->begin > covered)
      bad(file, "bytes [", covered, ", ", e->begin, ") of the data buffer belong to no tensor");
    covered = e->end;
    previous = e;
  }
  if (covered != buffer_size)
    bad(file, "the data buffer has ", buffer_size - covered,
        " trailing bytes after the last tensor (", buffer_size, " bytes, tensors end at ", covered,
        ")");
  return h;
}

template <typename U>
U load_le(const uint8_t* p) {
  U v;
  std::memcpy(&v, p, sizeof(U));
  return v;
}

Tensor decode(const std::string& file, const Entry& e, const uint8_t* src) {
  Tensor t = empty(e.shape, e.type->dtype);
  if (e.numel == 0) return t;
  const int64_t n = e.numel;
  switch (e.type->decode) {
    case Decode::Native:
      std::memcpy(t.data_ptr(), src, static_cast<size_t>(n * e.type->itemsize));
      break;
    case Decode::SignedInt:
    case Decode::UnsignedInt: {
      int64_t* out = t.data<int64_t>();
      const int64_t w = e.type->itemsize;
      const bool is_signed = e.type->decode == Decode::SignedInt;
      for (int64_t i = 0; i < n; ++i) {
        const uint8_t* p = src + w * i;
        if (w == 1) out[i] = is_signed ? int64_t{static_cast<int8_t>(*p)} : int64_t{*p};
        if (w == 2)
          out[i] = is_signed ? int64_t{load_le<int16_t>(p)} : int64_t{load_le<uint16_t>(p)};
        if (w == 4)
          out[i] = is_signed ? int64_t{load_le<int32_t>(p)} : int64_t{load_le<uint32_t>(p)};
      }
      break;
    }
    case Decode::Bool: {
      int64_t* out = t.data<int64_t>();
      for (int64_t i = 0; i < n; ++i) {
        if (src[i] > 1)
          bad(file, "tensor '", e.name, "': BOOL element ", i, " is byte ", int{src[i]},
              ", expected 0 or 1");
        out[i] = src[i];
      }
      break;
    }
    case Decode::U64: {
      int64_t* out = t.data<int64_t>();
      for (int64_t i = 0; i < n; ++i) {
        const uint64_t v = load_le<uint64_t>(src + 8 * i);
        if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          bad(file, "tensor '", e.name, "': U64 element ", i, " = ", v, " does not fit in int64");
        out[i] = static_cast<int64_t>(v);
      }
      break;
    }
  }
  return t;
}

// The header length from the first 8 bytes, checked against the file size.
uint64_t header_length(const std::string& file, const uint8_t* first8, uint64_t file_size) {
  const uint64_t n = load_le<uint64_t>(first8);
  if (n > kMaxHeaderBytes)
    bad(file, "header length ", n, " exceeds the format's limit of ", kMaxHeaderBytes, " bytes");
  if (n > file_size - 8)
    bad(file, "header length ", n, " runs past the end of the file (", file_size,
        " bytes; truncated?)");
  return n;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void read_at(const std::string& file, int fd, void* dst, uint64_t size, uint64_t offset) {
  auto* p = static_cast<char*>(dst);
  while (size > 0) {
    const ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) bad(file, "read failed at byte ", offset, ": ", std::strerror(errno));
    if (n == 0) bad(file, "file ended at byte ", offset, " while reading (changed while loading?)");
    p += n;
    size -= static_cast<uint64_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}

}  // namespace

namespace {

// What a save writes: the 8-byte length and header, then `values` (contiguous)
// in the order `order`, tensor k at data offset begin[k].
struct Layout {
  std::string prefix;  // length + header
  std::vector<Tensor> values;
  std::vector<uint64_t> begin;
  std::vector<size_t> order;
  uint64_t data_size = 0;
};

Layout layout_of(const StateDict& tensors, const std::map<std::string, std::string>& metadata) {
  std::vector<Tensor> values;
  for (const auto& [name, t] : tensors) {
    GPUNN_CHECK(!name.empty(), "save_safetensors: tensor names must not be empty");
    GPUNN_CHECK(name != "__metadata__",
                "save_safetensors: '__metadata__' is reserved and cannot name a tensor");
    GPUNN_CHECK(json::is_valid_utf8(name), "save_safetensors: tensor name is not valid UTF-8");
    GPUNN_CHECK(t.defined(), "save_safetensors: tensor '", name, "' is undefined");
    GPUNN_CHECK(t.device().is_cpu(), "save_safetensors: tensor '", name, "' is on ", t.device(),
                "; move it to the CPU first");
    values.push_back(t.contiguous());
  }
  for (const auto& [k, v] : metadata)
    GPUNN_CHECK(json::is_valid_utf8(k) && json::is_valid_utf8(v),
                "save_safetensors: metadata key or value is not valid UTF-8 (key ", json::quote(k),
                ")");

  // Larger elements first keeps every tensor aligned to its element size.
  std::vector<size_t> order(values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return dtype_size(values[a].dtype()) > dtype_size(values[b].dtype());
  });
  std::vector<uint64_t> begin(values.size());
  uint64_t offset = 0;
  for (const size_t i : order) {
    begin[i] = offset;
    offset += static_cast<uint64_t>(values[i].numel()) * dtype_size(values[i].dtype());
  }

  // Appending piece by piece (no `"literal" + string`, which trips GCC 12's
  // -Wrestrict false positive).
  std::string header = "{";
  auto put = [&header](const auto&... pieces) { (header.append(pieces), ...); };
  if (!metadata.empty()) {
    put("\"__metadata__\":{");
    bool first = true;
    for (const auto& [k, v] : metadata) {
      if (!first) put(",");
      put(json::quote(k), ":", json::quote(v));
      first = false;
    }
    put("}");
  }
  size_t i = 0;
  for (const auto& [name, unused] : tensors) {
    const Tensor& t = values[i];
    if (header.size() > 1) put(",");
    put(json::quote(name), ":{\"dtype\":\"", file_dtype_name(t.dtype()), "\",\"shape\":[");
    for (int64_t d = 0; d < t.dim(); ++d) {
      if (d) put(",");
      put(std::to_string(t.size(d)));
    }
    const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * dtype_size(t.dtype());
    put("],\"data_offsets\":[", std::to_string(begin[i]), ",", std::to_string(begin[i] + nbytes),
        "]}");
    ++i;
  }
  put("}");
  while ((8 + header.size()) % 8 != 0) header += ' ';
  GPUNN_CHECK(header.size() <= kMaxHeaderBytes, "save_safetensors: the header would be ",
              header.size(), " bytes, over the format's limit of ", kMaxHeaderBytes);

  Layout l;
  l.prefix.resize(8);
  const uint64_t n = header.size();
  std::memcpy(l.prefix.data(), &n, 8);
  l.prefix += header;
  l.values = std::move(values);
  l.begin = std::move(begin);
  l.order = std::move(order);
  l.data_size = offset;
  return l;
}

size_t nbytes_of(const Tensor& t) { return static_cast<size_t>(t.numel()) * dtype_size(t.dtype()); }

}  // namespace

std::vector<uint8_t> serialize_safetensors(const StateDict& tensors,
                                           const std::map<std::string, std::string>& metadata) {
  const Layout l = layout_of(tensors, metadata);
  std::vector<uint8_t> out(l.prefix.size() + l.data_size);
  std::memcpy(out.data(), l.prefix.data(), l.prefix.size());
  uint8_t* buffer = out.data() + l.prefix.size();
  for (size_t k = 0; k < l.values.size(); ++k) {
    const size_t nbytes = nbytes_of(l.values[k]);
    if (nbytes > 0) std::memcpy(buffer + l.begin[k], l.values[k].data_ptr(), nbytes);
  }
  return out;
}

void save_safetensors(const std::string& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Written straight from the tensors' memory: no second copy of the model.
  const Layout l = layout_of(tensors, metadata);
  std::vector<Chunk> chunks = {{l.prefix.data(), l.prefix.size()}};
  for (const size_t k : l.order) chunks.push_back({l.values[k].data_ptr(), nbytes_of(l.values[k])});
  write_file_atomically(path, chunks);
}

SafetensorsFile parse_safetensors(const uint8_t* data, size_t size,
                                  const std::string& name_for_errors) {
  const std::string& file = name_for_errors;
  if (size < 8) bad(file, "file is ", size, " bytes, too short for the 8-byte header length");
  const uint64_t n = header_length(file, data, size);
  const uint8_t* buffer = data + 8 + n;
  const Header h = parse_header(file, reinterpret_cast<const char*>(data + 8), n, size - 8 - n);
  SafetensorsFile result;
  result.metadata = h.metadata;
  for (const Entry& e : h.entries) result.tensors.insert(e.name, decode(file, e, buffer + e.begin));
  return result;
}

SafetensorsFile load_safetensors(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) bad(path, "cannot open: ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) bad(path, "cannot stat: ", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) bad(path, "not a regular file");
  const auto file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < 8)
    bad(path, "file is ", file_size, " bytes, too short for the 8-byte header length");
  uint8_t first8[8];
  read_at(path, fd.get(), first8, 8, 0);
  const uint64_t n = header_length(path, first8, file_size);
  std::string header(n, '\0');
  read_at(path, fd.get(), header.data(), n, 8);
  const uint64_t buffer_start = 8 + n;
  const Header h = parse_header(path, header.data(), header.size(), file_size - buffer_start);
  SafetensorsFile result;
  result.metadata = h.metadata;
  std::vector<uint8_t> bytes;
  for (const Entry& e : h.entries) {
    bytes.resize(e.end - e.begin);
    read_at(path, fd.get(), bytes.data(), bytes.size(), buffer_start + e.begin);
    result.tensors.insert(e.name, decode(path, e, bytes.data()));
  }
  return result;
}

}  // namespace gpunn::io
