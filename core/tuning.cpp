// auto's memory of measured choices (core/tuning.h) and the public switches of
// gpunn/config.h (set_tuning, set_tuning_cache_file, tuning_records).
#include "core/tuning.h"

#include <gpunn/cuda.h>
#include <gpunn/error.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>

#include "core/environment.h"
#include "core/io/atomic_file.h"

namespace gpunn {

namespace tuning_cache {
namespace {

constexpr const char* kHeader = "gpunn tuning cache 1";

struct Entry {
  Choice choice;
  double microseconds = -1;
};

struct Cache {
  std::mutex mutex;
  std::map<std::string, Entry> entries;
  std::string file;
  bool file_read = false;  // the file's entries are in `entries` (or it was found wanting)
  std::map<int, std::string> device_names;  // CUDA device index -> "cuda sm_90 <name>"
};

Cache& cache() {
  static Cache* c = [] {
    auto* made = new Cache;  // never destroyed: launches may run during static destruction
    env::warn_about_typos();
    const char* path = std::getenv("GPUNN_TUNING_CACHE");
    if (path) made->file = path;
    return made;
  }();
  return *c;
}

std::atomic<bool>& tuning_flag() {
  static std::atomic<bool> flag{env::flag("GPUNN_TUNING", true)};
  return flag;
}

std::atomic<bool> cpu_contenders{false};

std::optional<Implementation> implementation_from(const std::string& name) {
  for (Implementation i : {Implementation::Cpu, Implementation::CpuVendor, Implementation::Cuda,
                           Implementation::CudaVendor}) {
    if (name == implementation_name(i)) return i;
  }
  return std::nullopt;
}

// One line of the file, or nullopt when it is not a valid one.
std::optional<TuningRecord> parse_line(const std::string& line) {
  std::vector<std::string> fields;
  size_t begin = 0;
  for (;;) {
    const size_t tab = line.find('\t', begin);
    fields.push_back(line.substr(begin, tab == std::string::npos ? tab : tab - begin));
    if (tab == std::string::npos) break;
    begin = tab + 1;
  }
  if (fields.size() != 4 || fields[0].empty()) return std::nullopt;
  const std::optional<Implementation> impl = implementation_from(fields[1]);
  if (!impl) return std::nullopt;
  TuningRecord r;
  r.key = fields[0];
  r.implementation = *impl;
  try {
    size_t used = 0;
    const long variant = std::stol(fields[2], &used);
    if (used != fields[2].size() || variant < 0 || variant > 1000) return std::nullopt;
    r.variant = static_cast<int>(variant);
    const double us = std::stod(fields[3], &used);
    if (used != fields[3].size() || !(us >= 0) || us > 1e12) return std::nullopt;
    r.microseconds = us;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  // A vendor entry has no numbered variants.
  if ((r.implementation == Implementation::CpuVendor ||
       r.implementation == Implementation::CudaVendor) &&
      r.variant != 0)
    return std::nullopt;
  return r;
}

void warn(const std::string& file, const std::string& why) {
  std::cerr << "gpunn: warning: the tuning cache " << file << " " << why
            << "; it is ignored, the choices are measured again and the file is replaced at "
               "the next measurement\n";
}

// Reads the file into c.entries (entries measured in this process win). Holds c.mutex.
void read_file_locked(Cache& c) {
  if (c.file_read || c.file.empty()) return;
  c.file_read = true;
  std::ifstream in(c.file);
  if (!in) {
    std::error_code ec;
    if (std::filesystem::exists(c.file, ec)) warn(c.file, "cannot be read");
    return;  // absent: the first measurement creates it
  }
  std::string line;
  std::map<std::string, Entry> read;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (number == 1) {
      if (line != kHeader) {
        warn(c.file, "does not start with \"" + std::string(kHeader) + "\"");
        return;
      }
      continue;
    }
    if (line.empty()) continue;
    const std::optional<TuningRecord> r = parse_line(line);
    if (!r) {
      warn(c.file,
           "has a line that is not \"key<TAB>implementation<TAB>variant<TAB>"
           "microseconds\" (line " +
               std::to_string(number) + ")");
      return;
    }
    read[r->key] = {{r->implementation, r->variant}, r->microseconds};
  }
  if (in.bad()) {
    warn(c.file, "could not be read to the end");
    return;
  }
  for (auto& [key, e] : read) c.entries.emplace(key, e);
}

void write_file_locked(const Cache& c) {
  if (c.file.empty()) return;
  std::ostringstream os;
  os << kHeader << "\n";
  os.precision(6);
  for (const auto& [key, e] : c.entries) {
    os << key << "\t" << implementation_name(e.choice.implementation) << "\t" << e.choice.variant
       << "\t" << std::fixed << e.microseconds << std::defaultfloat << "\n";
  }
  const std::string text = os.str();
  try {
    io::write_file_atomically(c.file, {{text.data(), text.size()}});
  } catch (const Error& e) {
    // The choices stay in memory; a file that cannot be written is worth one warning.
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true))
      std::cerr << "gpunn: warning: the tuning cache could not be written: " << e.what() << "\n";
  }
}

std::string device_text(Cache& c, Device device) {
  if (device.is_cpu()) return "cpu";
  std::lock_guard lock(c.mutex);
  auto it = c.device_names.find(device.index);
  if (it == c.device_names.end()) {
    const cuda::DeviceProperties p = cuda::device_properties(device.index);
    std::string name = "cuda sm_" + std::to_string(p.compute_capability_major) +
                       std::to_string(p.compute_capability_minor) + " " + p.name;
    for (char& ch : name)
      if (ch == '|' || ch == '\t' || ch == '\n') ch = ' ';
    it = c.device_names.emplace(device.index, name).first;
  }
  return it->second;
}

}  // namespace

std::string key_prefix(const char* op, DType dtype, Device device,
                       const kernels::Settings& settings) {
  std::string key = version();
  key += "|" + device_text(cache(), device) + "|" + op + "|" + dtype_name(dtype) + "|tf32=";
  key += settings.allow_tf32 ? "1" : "0";
  key += settings.deterministic ? " det=1|" : " det=0|";
  return key;
}

std::optional<Choice> lookup(const std::string& key) {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  read_file_locked(c);
  const auto it = c.entries.find(key);
  if (it == c.entries.end()) return std::nullopt;
  return it->second.choice;
}

void store(const std::string& key, Choice choice, double microseconds) {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  read_file_locked(c);
  c.entries[key] = {choice, microseconds};
  write_file_locked(c);
}

bool has_file() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  return !c.file.empty();
}

namespace testing {
void set_measure_on_cpu(bool on) { cpu_contenders.store(on); }
bool measure_on_cpu() { return cpu_contenders.load(); }
}  // namespace testing

}  // namespace tuning_cache

void set_tuning(bool measure) { tuning_cache::tuning_flag().store(measure); }
bool tuning() { return tuning_cache::tuning_flag().load(); }

void set_tuning_cache_file(const std::string& path) {
  GPUNN_CHECK(path.find('\n') == std::string::npos, "set_tuning_cache_file: a path with a newline");
  tuning_cache::Cache& c = tuning_cache::cache();
  std::lock_guard lock(c.mutex);
  c.file = path;
  c.file_read = false;
  c.entries.clear();
}

std::string tuning_cache_file() {
  tuning_cache::Cache& c = tuning_cache::cache();
  std::lock_guard lock(c.mutex);
  return c.file;
}

std::vector<TuningRecord> tuning_records() {
  tuning_cache::Cache& c = tuning_cache::cache();
  std::lock_guard lock(c.mutex);
  std::vector<TuningRecord> out;
  for (const auto& [key, e] : c.entries)
    out.push_back({key, e.choice.implementation, e.choice.variant, e.microseconds});
  return out;
}

void clear_tuning_cache() {
  tuning_cache::Cache& c = tuning_cache::cache();
  std::lock_guard lock(c.mutex);
  c.entries.clear();
  c.file_read = false;
}

}  // namespace gpunn
