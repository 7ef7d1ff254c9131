// The strict JSON reader and writer (core/io/json.h): a recursive-descent parser
// over a byte range with an explicit depth bound.
#include "core/io/json.h"

#include <cstdio>
#include <limits>
#include <unordered_set>

namespace gpunn::json {
namespace {

class Parser {
 public:
  Parser(const char* data, size_t size, int max_depth)
      : p_(reinterpret_cast<const unsigned char*>(data)), n_(size), max_depth_(max_depth) {}

  Value parse_document() {
    skip_ws();
    Value v = parse_value(0);
    skip_ws();
    if (i_ != n_) fail("unexpected data after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw JsonError(detail::concat("invalid JSON at byte ", i_, ": ", what), i_);
  }

  void skip_ws() {
    while (i_ < n_ && (p_[i_] == ' ' || p_[i_] == '\t' || p_[i_] == '\n' || p_[i_] == '\r')) ++i_;
  }

  void expect_literal(const char* word) {
    for (const char* c = word; *c; ++c, ++i_) {
      if (i_ >= n_ || p_[i_] != static_cast<unsigned char>(*c))
        fail(detail::concat("expected '", word, "'"));
    }
  }

  Value parse_value(int depth) {
    if (i_ >= n_) fail("unexpected end of input, expected a value");
    Value v;
    switch (p_[i_]) {
      case '{':
        return parse_object(depth + 1);
      case '[':
        return parse_array(depth + 1);
      case '"':
        v.kind = Value::Kind::String;
        v.text = parse_string();
        return v;
      case 't':
        expect_literal("true");
        v.kind = Value::Kind::Bool;
        v.boolean = true;
        return v;
      case 'f':
        expect_literal("false");
        v.kind = Value::Kind::Bool;
        return v;
      case 'n':
        expect_literal("null");
        return v;
      default:
        if (p_[i_] == '-' || (p_[i_] >= '0' && p_[i_] <= '9')) return parse_number();
        fail(detail::concat("unexpected character ", describe_byte(p_[i_])));
    }
  }

  static std::string describe_byte(unsigned char c) {
    char buf[16];
    if (c >= 0x20 && c < 0x7f)
      std::snprintf(buf, sizeof buf, "'%c'", c);
    else
      std::snprintf(buf, sizeof buf, "0x%02x", c);
    return buf;
  }

  void check_depth(int depth) const {
    if (depth > max_depth_) fail(detail::concat("nesting deeper than ", max_depth_, " levels"));
  }

  Value parse_object(int depth) {
    check_depth(depth);
    Value v;
    v.kind = Value::Kind::Object;
    ++i_;  // '{'
    skip_ws();
    if (i_ < n_ && p_[i_] == '}') {
      ++i_;
      return v;
    }
    // A set, not a scan of the members so far: a header of a million keys must
    // not take a million squared steps.
    std::unordered_set<std::string> keys;
    while (true) {
      skip_ws();
      if (i_ >= n_ || p_[i_] != '"') fail("expected a string key in an object");
      const size_t key_at = i_;
      std::string key = parse_string();
      if (!keys.insert(key).second) {
        i_ = key_at;
        fail(detail::concat("duplicate key ", quote(key)));
      }
      skip_ws();
      if (i_ >= n_ || p_[i_] != ':') fail("expected ':' after an object key");
      ++i_;
      skip_ws();
      Value member = parse_value(depth);
      v.object.push_back({std::move(key), std::move(member)});
      skip_ws();
      if (i_ >= n_) fail("unexpected end of input inside an object");
      if (p_[i_] == ',') {
        ++i_;
        continue;
      }
      if (p_[i_] == '}') {
        ++i_;
        return v;
      }
      fail("expected ',' or '}' in an object");
    }
  }

  Value parse_array(int depth) {
    check_depth(depth);
    Value v;
    v.kind = Value::Kind::Array;
    ++i_;  // '['
    skip_ws();
    if (i_ < n_ && p_[i_] == ']') {
      ++i_;
      return v;
    }
    while (true) {
      skip_ws();
      v.array.push_back(parse_value(depth));
      skip_ws();
      if (i_ >= n_) fail("unexpected end of input inside an array");
      if (p_[i_] == ',') {
        ++i_;
        continue;
      }
      if (p_[i_] == ']') {
        ++i_;
        return v;
      }
      fail("expected ',' or ']' in an array");
    }
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  Value parse_number() {
    const size_t start = i_;
    auto digits = [&] {
      const size_t from = i_;
      while (i_ < n_ && p_[i_] >= '0' && p_[i_] <= '9') ++i_;
      return i_ - from;
    };
    if (p_[i_] == '-') ++i_;
    if (i_ < n_ && p_[i_] == '0') {
      ++i_;
    } else if (digits() == 0) {
      fail("expected a digit in a number");
    }
    if (i_ < n_ && p_[i_] == '.') {
      ++i_;
      if (digits() == 0) fail("expected a digit after '.' in a number");
    }
    if (i_ < n_ && (p_[i_] == 'e' || p_[i_] == 'E')) {
      ++i_;
      if (i_ < n_ && (p_[i_] == '+' || p_[i_] == '-')) ++i_;
      if (digits() == 0) fail("expected a digit in a number's exponent");
    }
    Value v;
    v.kind = Value::Kind::Number;
    v.text.assign(reinterpret_cast<const char*>(p_ + start), i_ - start);
    return v;
  }

  unsigned hex4() {
    if (n_ - i_ < 4) fail("truncated \\u escape");
    unsigned code = 0;
    for (int k = 0; k < 4; ++k, ++i_) {
      const unsigned char c = p_[i_];
      unsigned d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else
        fail("invalid hex digit in a \\u escape");
      code = code * 16 + d;
    }
    return code;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  // One UTF-8 encoded code point starting at i_ (not ASCII): shortest form,
  // no surrogates, at most U+10FFFF (RFC 3629).
  void copy_utf8(std::string& out) {
    const unsigned char c = p_[i_];
    int len;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    } else {
      fail(detail::concat("invalid UTF-8 byte ", describe_byte(c), " in a string"));
    }
    if (n_ - i_ < static_cast<size_t>(len)) fail("truncated UTF-8 sequence in a string");
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = p_[i_ + k];
      if ((cc & 0xc0) != 0x80) fail("invalid UTF-8 continuation byte in a string");
      cp = (cp << 6) | (cc & 0x3f);
    }
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      fail("invalid UTF-8 sequence (overlong, surrogate or out of range) in a string");
    out.append(reinterpret_cast<const char*>(p_ + i_), len);
    i_ += len;
  }

  std::string parse_string() {
    ++i_;  // opening quote
    std::string out;
    while (true) {
      if (i_ >= n_) fail("unterminated string");
      const unsigned char c = p_[i_];
      if (c == '"') {
        ++i_;
        return out;
      }
      if (c < 0x20)
        fail(detail::concat("unescaped control character ", describe_byte(c), " in a string"));
      if (c >= 0x80) {
        copy_utf8(out);
        continue;
      }
      if (c != '\\') {
        out += static_cast<char>(c);
        ++i_;
        continue;
      }
      ++i_;
      if (i_ >= n_) fail("unterminated escape in a string");
      const unsigned char e = p_[i_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xdc00 && cp <= 0xdfff) fail("unpaired low surrogate in a \\u escape");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            if (n_ - i_ < 2 || p_[i_] != '\\' || p_[i_ + 1] != 'u')
              fail("high surrogate not followed by a low surrogate \\u escape");
            i_ += 2;
            const unsigned lo = hex4();
            if (lo < 0xdc00 || lo > 0xdfff)
              fail("high surrogate not followed by a low surrogate \\u escape");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --i_;
          fail(detail::concat("invalid escape \\", describe_byte(e), " in a string"));
      }
    }
  }

  const unsigned char* p_;
  size_t n_;
  size_t i_ = 0;
  int max_depth_;
};

}  // namespace

const Value* Value::find(const std::string& key) const {
  for (const auto& [k, v] : object)
    if (k == key) return &v;
  return nullptr;
}

bool Value::as_int64(int64_t* out) const {
  if (kind != Kind::Number || text.empty()) return false;
  size_t i = 0;
  const bool negative = text[0] == '-';
  if (negative) i = 1;
  if (i == text.size()) return false;
  // Accumulate as a negative number so INT64_MIN fits.
  int64_t acc = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;  // fraction or exponent
    const int d = c - '0';
    if (acc < (std::numeric_limits<int64_t>::min() + d) / 10) return false;
    acc = acc * 10 - d;
  }
  if (!negative) {
    if (acc == std::numeric_limits<int64_t>::min()) return false;
    acc = -acc;
  }
  *out = acc;
  return true;
}

const char* kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::Null:
      return "null";
    case Value::Kind::Bool:
      return "boolean";
    case Value::Kind::Number:
      return "number";
    case Value::Kind::String:
      return "string";
    case Value::Kind::Array:
      return "array";
    case Value::Kind::Object:
      return "object";
  }
  return "?";
}

Value parse(const char* data, size_t size, int max_depth) {
  return Parser(data, size, max_depth).parse_document();
}

bool is_valid_utf8(const std::string& s) {
  // Every byte >= 0x20 except '"' and '\\' passes through quote() unchanged, so
  // parsing the quoted form back runs exactly the parser's UTF-8 checks.
  try {
    const std::string q = quote(s);
    parse(q.data(), q.size(), 1);
    return true;
  } catch (const JsonError&) {
    return false;
  }
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace gpunn::json
