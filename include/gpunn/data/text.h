// Character-level text: a vocabulary of the bytes a text uses, and a data set
// of fixed-length sequences for next-character prediction.
//
// Characters are bytes: ASCII text gets one id per character; other UTF-8 text
// gets one id per byte, which a byte-level model handles the same way.
#pragma once

#include <gpunn/data/dataset.h>
#include <gpunn/export.h>
#include <gpunn/tensor.h>

#include <cstdint>
#include <string>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::data {

class CharVocab {
 public:
  CharVocab() = default;
  // The distinct bytes of `text`, in increasing byte order: id 0 is the smallest.
  explicit CharVocab(const std::string& text);

  int64_t size() const { return static_cast<int64_t>(chars_.size()); }
  bool contains(char c) const;
  int64_t id(char c) const;  // throws gpunn::Error for a character not in the vocabulary
  char character(int64_t id) const;
  // Ids as int64 [text.size()].
  Tensor encode(const std::string& text) const;
  std::vector<int64_t> encode_ids(const std::string& text) const;
  // Takes int64 ids of any shape, read in row-major order.
  std::string decode(const Tensor& ids) const;
  std::string decode(const std::vector<int64_t>& ids) const;
  const std::string& chars() const { return chars_; }

 private:
  std::string chars_;
  int16_t index_[256] = {};  // id + 1, 0 for absent
};

// Sequences of T = seq_len characters and the same sequences shifted by one:
// example i has data ids[s i .. s i + T) and target ids[s i + 1 .. s i + T + 1),
// both int64 [T], with s = stride (default T: sequences that do not overlap).
// size() = (L - T - 1) / s + 1 for a text of L >= T + 1 characters, else 0.
class CharDataset : public Dataset {
 public:
  CharDataset(const std::string& text, int64_t seq_len, int64_t stride = 0);
  // With a given vocabulary (e.g. the training text's, for a validation text).
  CharDataset(const std::string& text, CharVocab vocab, int64_t seq_len, int64_t stride = 0);

  int64_t size() const override;
  Example get(int64_t index) const override;
  Batch get_batch(const std::vector<int64_t>& indices) const override;

  const CharVocab& vocab() const { return vocab_; }
  int64_t seq_len() const { return seq_len_; }
  int64_t stride() const { return stride_; }
  const Tensor& ids() const { return ids_; }  // the whole text, int64 [L]

 private:
  CharVocab vocab_;
  Tensor ids_;
  int64_t seq_len_;
  int64_t stride_;
};

}  // namespace gpunn::data

GPUNN_API_END
