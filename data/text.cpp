// Character-level text: vocabulary, sequence data set, text files.
#include <gpunn/data/readers.h>
#include <gpunn/data/text.h>

#include <cstring>
#include <filesystem>

#include "data/file_io.h"

namespace gpunn::data {
namespace {

// Printable form of a byte for messages.
std::string show(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 32 && u < 127) return std::string("'") + c + "'";
  return "byte " + std::to_string(u);
}

}  // namespace

CharVocab::CharVocab(const std::string& text) {
  bool seen[256] = {};
  for (char c : text) seen[static_cast<unsigned char>(c)] = true;
  for (int b = 0; b < 256; ++b) {
    if (seen[b]) {
      chars_.push_back(static_cast<char>(b));
      index_[b] = static_cast<int16_t>(chars_.size());
    }
  }
}

bool CharVocab::contains(char c) const { return index_[static_cast<unsigned char>(c)] != 0; }

int64_t CharVocab::id(char c) const {
  const int16_t i = index_[static_cast<unsigned char>(c)];
  GPUNN_CHECK(i != 0, "CharVocab: character ", show(c), " is not in the vocabulary of ", size(),
              " characters");
  return i - 1;
}

char CharVocab::character(int64_t id) const {
  GPUNN_CHECK(id >= 0 && id < size(), "CharVocab: id ", id, " is out of range for a vocabulary of ",
              size(), " characters");
  return chars_[static_cast<size_t>(id)];
}

std::vector<int64_t> CharVocab::encode_ids(const std::string& text) const {
  std::vector<int64_t> ids(text.size());
  for (size_t i = 0; i < text.size(); ++i) ids[i] = id(text[i]);
  return ids;
}

Tensor CharVocab::encode(const std::string& text) const {
  return tensor_from(encode_ids(text), {static_cast<int64_t>(text.size())});
}

std::string CharVocab::decode(const std::vector<int64_t>& ids) const {
  std::string s(ids.size(), '\0');
  for (size_t i = 0; i < ids.size(); ++i) s[i] = character(ids[i]);
  return s;
}

std::string CharVocab::decode(const Tensor& ids) const {
  GPUNN_CHECK(ids.defined() && ids.dtype() == kInt64, "CharVocab::decode: expected int64 ids, got ",
              ids.defined() ? dtype_name(ids.dtype()) : "an undefined tensor");
  return decode(ids.to_vector<int64_t>());
}

CharDataset::CharDataset(const std::string& text, int64_t seq_len, int64_t stride)
    : CharDataset(text, CharVocab(text), seq_len, stride) {}

CharDataset::CharDataset(const std::string& text, CharVocab vocab, int64_t seq_len, int64_t stride)
    : vocab_(std::move(vocab)), seq_len_(seq_len), stride_(stride == 0 ? seq_len : stride) {
  GPUNN_CHECK(seq_len >= 1, "CharDataset: seq_len must be at least 1, got ", seq_len);
  GPUNN_CHECK(stride >= 0, "CharDataset: stride must be positive (0: seq_len), got ", stride);
  ids_ = vocab_.encode(text);
}

int64_t CharDataset::size() const {
  const int64_t L = ids_.numel();
  return L < seq_len_ + 1 ? 0 : (L - seq_len_ - 1) / stride_ + 1;
}

Example CharDataset::get(int64_t index) const {
  GPUNN_CHECK(index >= 0 && index < size(), "CharDataset::get: index ", index,
              " is out of range for ", size(), " sequences");
  const int64_t start = index * stride_;
  return {ids_.narrow(0, start, seq_len_).clone(), ids_.narrow(0, start + 1, seq_len_).clone()};
}

Batch CharDataset::get_batch(const std::vector<int64_t>& indices) const {
  const auto B = static_cast<int64_t>(indices.size());
  Tensor x = empty({B, seq_len_}, kInt64);
  Tensor y = empty({B, seq_len_}, kInt64);
  const int64_t* ids = ids_.data<int64_t>();
  const size_t row = static_cast<size_t>(seq_len_) * sizeof(int64_t);
  const int64_t n = size();
  for (int64_t b = 0; b < B; ++b) {
    const int64_t i = indices[static_cast<size_t>(b)];
    GPUNN_CHECK(i >= 0 && i < n, "CharDataset::get_batch: index ", i, " is out of range for ", n,
                " sequences");
    std::memcpy(x.data<int64_t>() + b * seq_len_, ids + i * stride_, row);
    std::memcpy(y.data<int64_t>() + b * seq_len_, ids + i * stride_ + 1, row);
  }
  return {x, y, indices};
}

std::string read_text_file(const std::string& path) {
  return detail::read_file(path, "read_text_file");
}

std::optional<std::string> find_propernames() {
  for (const char* p : {"/usr/share/dict/propernames", "/usr/share/dict/propernames.gz"}) {
    std::error_code ec;
    const bool readable = has_zlib() || p[std::strlen(p) - 1] != 'z';
    if (readable && std::filesystem::is_regular_file(p, ec)) return std::string(p);
  }
  return std::nullopt;
}

}  // namespace gpunn::data
