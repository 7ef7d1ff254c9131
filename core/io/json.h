// A small strict JSON reader and writer for file headers (safetensors). Private to libgpunn.
//
// Strict RFC 8259: one value, optional surrounding whitespace, no comments, no
// trailing commas, no NaN/Infinity, strings must be valid UTF-8 and escapes
// (\uXXXX with surrogate pairs) well formed. Objects keep their key order and
// reject duplicate keys. Nesting deeper than `max_depth` is rejected, so a
// hostile header cannot exhaust the stack. Numbers keep their text; as_int64()
// accepts only integers that fit (no fraction, no exponent).
// Errors are JsonError (a gpunn::Error) giving the byte offset of the problem.
#pragma once

#include <gpunn/error.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gpunn::json {

class JsonError : public Error {
 public:
  JsonError(const std::string& what, size_t offset) : Error(what), offset_(offset) {}
  size_t offset() const { return offset_; }

 private:
  size_t offset_;
};

struct Member;

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  std::string text;  // a String's decoded value, or a Number's source text
  std::vector<Value> array;
  std::vector<Member> object;  // in file order, keys unique

  bool is_object() const { return kind == Kind::Object; }
  bool is_array() const { return kind == Kind::Array; }
  bool is_string() const { return kind == Kind::String; }
  bool is_number() const { return kind == Kind::Number; }
  // The member named `key`, or nullptr.
  const Value* find(const std::string& key) const;
  // A Number that is a plain integer in int64 range; false otherwise.
  bool as_int64(int64_t* out) const;
};

// An object's member. A struct rather than std::pair, which (unlike
// std::vector) may not be instantiated with the still incomplete Value.
struct Member {
  std::string first;  // the key
  Value second;
};

const char* kind_name(Value::Kind kind);  // "object", "string", ...

// Parses the whole of [data, data + size). Throws JsonError.
Value parse(const char* data, size_t size, int max_depth = 64);

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates).
bool is_valid_utf8(const std::string& s);

// `s` as a JSON string literal with quotes; `s` must be valid UTF-8 (control
// characters, quotes and backslashes are escaped).
std::string quote(const std::string& s);

}  // namespace gpunn::json
