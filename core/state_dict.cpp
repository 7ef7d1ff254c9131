#include <gpunn/state_dict.h>

namespace gpunn {

void StateDict::insert(std::string name, Tensor tensor) {
  GPUNN_CHECK(!contains(name), "StateDict::insert: an entry named '", name, "' already exists");
  index_.emplace(name, entries_.size());
  entries_.emplace_back(std::move(name), std::move(tensor));
}

void StateDict::insert_or_assign(std::string name, Tensor tensor) {
  auto it = index_.find(name);
  if (it != index_.end()) {
    entries_[it->second].second = std::move(tensor);
    return;
  }
  insert(std::move(name), std::move(tensor));
}

bool StateDict::erase(const std::string& name) {
  auto it = index_.find(name);
  if (it == index_.end()) return false;
  const std::size_t pos = it->second;
  index_.erase(it);
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(pos));
  for (auto& [key, i] : index_)
    if (i > pos) --i;
  return true;
}

const Tensor& StateDict::at(const std::string& name) const {
  const Tensor* t = find(name);
  GPUNN_CHECK(t != nullptr, "StateDict: no entry named '", name, "' (", entries_.size(),
              " entries)");
  return *t;
}

const Tensor* StateDict::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> k;
  k.reserve(entries_.size());
  for (const auto& e : entries_) k.push_back(e.first);
  return k;
}

}  // namespace gpunn
