// Reading whole data files, plain or gzip-compressed (data/file_io.cpp).
#pragma once

#include <string>

namespace gpunn::data::detail {

// The content of `path`, decompressed when it is gzip data. Errors start with
// `op` and name the file.
std::string read_file(const std::string& path, const char* op);

// A file's content already in memory, decompressed when it is gzip data (a
// `path` ending in ".gz" must be). Errors as read_file's.
std::string decode_file(std::string bytes, const std::string& path, const char* op);

// "<op>: '<path>': " — the start of every message about a file.
std::string file_prefix(const char* op, const std::string& path);

}  // namespace gpunn::data::detail
