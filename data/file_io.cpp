// Whole-file reads for the data readers, with gzip through zlib.
//
// A file is gzip data when it starts with the gzip magic bytes 1f 8b; a name
// ending in ".gz" must. Decompression writes into a buffer that grows as data
// arrives, so a header (or a gzip trailer) that lies about sizes cannot make
// gpunn allocate more than the data really holds. Multi-member gzip files (what
// `cat a.gz b.gz` makes) are read as their concatenation.
#include <gpunn/data/readers.h>
#include <gpunn/error.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "data/file_io.h"

#if GPUNN_WITH_ZLIB
#include <zlib.h>
#endif

namespace gpunn::data {
namespace detail {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool has_gzip_magic(const std::string& bytes, size_t at = 0) {
  return bytes.size() >= at + 2 && static_cast<unsigned char>(bytes[at]) == 0x1f &&
         static_cast<unsigned char>(bytes[at + 1]) == 0x8b;
}

std::string read_raw(const std::string& path, const char* op) {
  std::error_code ec;
  GPUNN_CHECK(!std::filesystem::is_directory(path, ec), file_prefix(op, path),
              "is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    gpunn::detail::throw_error(file_prefix(op, path), "cannot open the file (",
                               std::strerror(errno), ")");
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  GPUNN_CHECK(size >= 0, file_prefix(op, path), "cannot determine the file's size");
  in.seekg(0, std::ios::beg);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (size > 0 && !in.read(bytes.data(), size)) {
    gpunn::detail::throw_error(file_prefix(op, path), "read failed after ", in.gcount(), " of ",
                               size, " bytes");
  }
  return bytes;
}

#if GPUNN_WITH_ZLIB
std::string gunzip(const std::string& packed, const std::string& path, const char* op) {
  z_stream zs{};
  // 16 + MAX_WBITS: expect a gzip header and check its CRC-32 and length trailer.
  GPUNN_CHECK(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, file_prefix(op, path),
              "zlib could not start decompression");
  struct End {
    z_stream* zs;
    ~End() { inflateEnd(zs); }
  } end{&zs};

  // Start from the compressed size times 4 (typical for these files), never
  // from a size read out of the file; deflate expands by at most ~1032x.
  std::string out;
  out.resize(std::max<size_t>(packed.size() * 4, 1 << 16));
  size_t in_pos = 0;
  size_t out_pos = 0;
  constexpr size_t kChunk = 1u << 30;  // zlib counts in 32-bit unsigned ints
  for (;;) {
    if (out_pos == out.size()) {
      GPUNN_CHECK(out.size() / packed.size() < 2000, file_prefix(op, path),
                  "gzip data expands more than deflate allows; the file is corrupt");
      out.resize(out.size() * 2);
    }
    const size_t in_avail = std::min(packed.size() - in_pos, kChunk);
    const size_t out_avail = std::min(out.size() - out_pos, kChunk);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data() + in_pos));
    zs.avail_in = static_cast<uInt>(in_avail);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    zs.avail_out = static_cast<uInt>(out_avail);
    const int ret = inflate(&zs, Z_NO_FLUSH);
    in_pos += in_avail - zs.avail_in;
    out_pos += out_avail - zs.avail_out;
    if (ret == Z_STREAM_END) {
      if (in_pos == packed.size()) break;
      if (!has_gzip_magic(packed, in_pos)) {
        gpunn::detail::throw_error(file_prefix(op, path), packed.size() - in_pos,
                                   " bytes of trailing garbage after the gzip data");
      }
      inflateReset(&zs);  // another gzip member follows
      continue;
    }
    if (ret == Z_DATA_ERROR) {
      gpunn::detail::throw_error(file_prefix(op, path),
                                 "corrupt gzip data (zlib: ", zs.msg ? zs.msg : "invalid data",
                                 ")");
    }
    if (ret == Z_MEM_ERROR) {
      throw OutOfMemoryError(file_prefix(op, path) + "zlib ran out of memory");
    }
    const bool progress = in_avail != zs.avail_in || out_avail != zs.avail_out;
    if (in_pos == packed.size() && (ret == Z_BUF_ERROR || !progress || zs.avail_out != 0)) {
      gpunn::detail::throw_error(file_prefix(op, path),
                                 "truncated gzip data: the compressed stream ends ", "after ",
                                 packed.size(), " bytes, before its end marker and checksum");
    }
    GPUNN_CHECK(ret == Z_OK || ret == Z_BUF_ERROR, file_prefix(op, path), "zlib failed with code ",
                ret);
  }
  out.resize(out_pos);
  return out;
}
#endif

}  // namespace

std::string file_prefix(const char* op, const std::string& path) {
  return std::string(op) + ": '" + path + "': ";
}

std::string read_file(const std::string& path, const char* op) {
  return decode_file(read_raw(path, op), path, op);
}

std::string decode_file(std::string bytes, const std::string& path, const char* op) {
  const bool gz_name = ends_with(path, ".gz");
  if (!has_gzip_magic(bytes)) {
    GPUNN_CHECK(!gz_name, file_prefix(op, path), "the name ends in .gz but the file is not gzip ",
                "data (it does not start with the bytes 1f 8b)");
    return bytes;
  }
#if GPUNN_WITH_ZLIB
  return gunzip(bytes, path, op);
#else
  gpunn::detail::throw_error(
      file_prefix(op, path), "the file is gzip-compressed, and this build of gpunn ",
      "has no zlib (GPUNN_WITH_ZLIB=OFF); decompress it first (gunzip -k) or ",
      "rebuild with zlib");
#endif
}

}  // namespace detail

bool has_zlib() {
#if GPUNN_WITH_ZLIB
  return true;
#else
  return false;
#endif
}

std::string read_file_bytes(const std::string& path) {
  return detail::read_file(path, "read_file_bytes");
}

}  // namespace gpunn::data
