// gpunn's environment variables, read in one place. Private to libgpunn; the variables are
// listed for users in docs/reproducibility.md.
//
// Boolean switches accept 1/true/yes/on and 0/false/no/off (any case); any other value is a
// gpunn::Error naming the variable, its value and the accepted words, never silently read as
// "off". A GPUNN_* variable that gpunn does not read but that is one or two edits from one it
// does (GPUNN_DETERMINSTIC) gets one warning on stderr per process, naming the likely meant one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gpunn::env {

// The variable `name` as a switch: unset or empty gives `fallback`.
bool flag(const char* name, bool fallback);

// Whether `text` is one of the switch words; *value is set when it is.
bool parse_flag(const std::string& text, bool* value);

// A size: bytes, or a number with a K, M, G or T suffix (powers of 1024; "KiB", "KB" and
// "K" alike, any case). nullopt when `text` is not one.
std::optional<int64_t> parse_bytes(const std::string& text);
// GPUNN_MEMORY_LIMIT as bytes (0 when unset or empty); a value that is not a size is a
// gpunn::Error naming the variable and the accepted forms.
int64_t memory_limit_bytes();

// Every variable libgpunn reads (GPUNN_IMPL_<FAMILY> included).
const std::vector<std::string>& known_names();

// The known variable `name` is a typo of (one or two edits away), or "" when `name` is
// known itself, belongs to gpunn's build and test scripts, or is not close to any.
std::string typo_of(const std::string& name);

// Once per process: a warning on stderr for each GPUNN_* variable set in the environment
// that typo_of() matches. Called by every reader of the environment.
void warn_about_typos();

}  // namespace gpunn::env
