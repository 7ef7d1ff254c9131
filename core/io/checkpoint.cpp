// Training checkpoints (gpunn/io/checkpoint.h) on top of safetensors.
#include <gpunn/io/checkpoint.h>
#include <gpunn/io/safetensors.h>

#include <charconv>
#include <iterator>

namespace gpunn::io {
namespace {

constexpr const char* kSections[] = {"model.", "optimizer.", "scheduler.", "scaler."};
constexpr int64_t kFormatVersion = 1;

template <typename T>
T parse_number(const std::string& path, const std::map<std::string, std::string>& meta,
               const std::string& key) {
  auto it = meta.find(key);
  GPUNN_CHECK(it != meta.end(), "load_checkpoint '", path, "': metadata has no \"", key,
              "\" (not a gpunn checkpoint?)");
  const std::string& s = it->second;
  T value{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  GPUNN_CHECK(ec == std::errc() && end == s.data() + s.size() && !s.empty(), "load_checkpoint '",
              path, "': metadata \"", key, "\" = \"", s, "\" is not a valid integer");
  return value;
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  GPUNN_CHECK(c.epoch >= 0 && c.step >= 0, "save_checkpoint: epoch (", c.epoch, ") and step (",
              c.step, ") must be non-negative");
  StateDict all;
  const StateDict* parts[] = {&c.model, &c.optimizer, &c.scheduler, &c.scaler};
  for (size_t i = 0; i < std::size(parts); ++i)
    for (const auto& [name, t] : *parts[i]) {
      std::string key = kSections[i];
      key += name;
      all.insert(std::move(key), t);
    }
  std::map<std::string, std::string> meta;
  for (const auto& [k, v] : c.metadata) {
    GPUNN_CHECK(k.rfind("gpunn.", 0) != 0, "save_checkpoint: metadata key \"", k,
                "\" uses the reserved prefix \"gpunn.\"");
    meta.emplace(k, v);
  }
  meta["gpunn.checkpoint"] = std::to_string(kFormatVersion);
  meta["gpunn.epoch"] = std::to_string(c.epoch);
  meta["gpunn.step"] = std::to_string(c.step);
  meta["gpunn.rng.seed"] = std::to_string(c.rng.seed);
  meta["gpunn.rng.offset"] = std::to_string(c.rng.offset);
  save_safetensors(path, all, meta);
}

namespace {

Checkpoint from_safetensors(SafetensorsFile f, const std::string& path) {
  const int64_t version = parse_number<int64_t>(path, f.metadata, "gpunn.checkpoint");
  GPUNN_CHECK(version == kFormatVersion, "load_checkpoint '", path, "': checkpoint format version ",
              version, " is not supported (this gpunn reads version 1)");
  Checkpoint c;
  c.epoch = parse_number<int64_t>(path, f.metadata, "gpunn.epoch");
  c.step = parse_number<int64_t>(path, f.metadata, "gpunn.step");
  GPUNN_CHECK(c.epoch >= 0 && c.step >= 0, "load_checkpoint '", path, "': negative epoch (",
              c.epoch, ") or step (", c.step, ")");
  c.rng.seed = parse_number<uint64_t>(path, f.metadata, "gpunn.rng.seed");
  c.rng.offset = parse_number<uint64_t>(path, f.metadata, "gpunn.rng.offset");
  for (const auto& [k, v] : f.metadata)
    if (k.rfind("gpunn.", 0) != 0) c.metadata.emplace(k, v);
  StateDict* parts[] = {&c.model, &c.optimizer, &c.scheduler, &c.scaler};
  for (const auto& [name, t] : f.tensors) {
    bool placed = false;
    for (size_t i = 0; i < std::size(parts) && !placed; ++i) {
      const std::string prefix = kSections[i];
      if (name.rfind(prefix, 0) == 0) {
        parts[i]->insert(name.substr(prefix.size()), t);
        placed = true;
      }
    }
    GPUNN_CHECK(
        placed, "load_checkpoint '", path, "': tensor '", name,
        "' belongs to no section (expected a model., optimizer., scheduler. or scaler. prefix)");
  }
  return c;
}

}  // namespace

Checkpoint load_checkpoint(const std::string& path) {
  return from_safetensors(load_safetensors(path), path);
}

Checkpoint parse_checkpoint(const uint8_t* data, size_t size, const std::string& name) {
  return from_safetensors(parse_safetensors(data, size, name), name);
}

}  // namespace gpunn::io
