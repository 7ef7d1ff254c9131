// gpunn::StateDict: an ordered map from names to tensors.
//
// What nn::Module::state_dict() returns and load_state_dict() takes, what an
// optimizer's state() saves, and what a safetensors file holds. Entries keep
// their insertion order (a module's parameters in registration order), and
// lookups by name are O(1).
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn {

class StateDict {
 public:
  using Entry = std::pair<std::string, Tensor>;
  using const_iterator = std::vector<Entry>::const_iterator;

  StateDict() = default;

  // Adds a new entry; throws gpunn::Error if `name` is already present.
  void insert(std::string name, Tensor tensor);
  // Adds or replaces (a replaced entry keeps its place).
  void insert_or_assign(std::string name, Tensor tensor);
  // Removes the entry; returns false if there was none.
  bool erase(const std::string& name);

  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  // The tensor stored under `name`; throws gpunn::Error naming the key if absent.
  const Tensor& at(const std::string& name) const;
  // nullptr if absent.
  const Tensor* find(const std::string& name) const;

  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<std::string> keys() const;

  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace gpunn

GPUNN_API_END
