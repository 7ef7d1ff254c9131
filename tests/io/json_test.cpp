// The private strict JSON reader behind safetensors headers (core/io/json.h).
#include <gtest/gtest.h>

#include <string>

#include "core/io/json.h"

namespace gpunn::json {
namespace {

Value parse_str(const std::string& s, int depth = 64) { return parse(s.data(), s.size(), depth); }

TEST(Json, ParsesNestedValuesInOrder) {
  const Value v = parse_str(R"( {"b": [1, -2, 3.5e2, true, false, null], "a": {"x": "y"}} )");
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.object.size(), 2u);
  EXPECT_EQ(v.object[0].first, "b");
  EXPECT_EQ(v.object[1].first, "a");
  const Value& b = *v.find("b");
  ASSERT_EQ(b.array.size(), 6u);
  int64_t x = 0;
  EXPECT_TRUE(b.array[0].as_int64(&x));
  EXPECT_EQ(x, 1);
  EXPECT_TRUE(b.array[1].as_int64(&x));
  EXPECT_EQ(x, -2);
  EXPECT_FALSE(b.array[2].as_int64(&x));  // has an exponent
  EXPECT_EQ(b.array[2].text, "3.5e2");
  EXPECT_TRUE(b.array[3].boolean);
  EXPECT_EQ(b.array[5].kind, Value::Kind::Null);
  EXPECT_EQ(v.find("a")->find("x")->text, "y");
}

TEST(Json, DecodesEscapesAndSurrogatePairs) {
  const Value v = parse_str(R"("a\"b\\c\/\b\f\n\r\t\u00e9\u2713\ud83d\ude00")");
  EXPECT_EQ(v.text, "a\"b\\c/\b\f\n\r\t\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80");
  // Raw UTF-8 passes through.
  EXPECT_EQ(parse_str("\"caf\xc3\xa9\"").text, "caf\xc3\xa9");
}

TEST(Json, Int64Range) {
  int64_t x = 0;
  EXPECT_TRUE(parse_str("9223372036854775807").as_int64(&x));
  EXPECT_EQ(x, INT64_MAX);
  EXPECT_TRUE(parse_str("-9223372036854775808").as_int64(&x));
  EXPECT_EQ(x, INT64_MIN);
  EXPECT_FALSE(parse_str("9223372036854775808").as_int64(&x));
  EXPECT_FALSE(parse_str("1.0").as_int64(&x));
  EXPECT_FALSE(parse_str("\"1\"").as_int64(&x));
}

TEST(Json, RejectsMalformedInput) {
  const char* bad[] = {
      "",
      "{",
      "{\"a\":1,}",
      "[1,]",
      "{\"a\" 1}",
      "{a:1}",
      "01",
      "1.",
      "-",
      "1e",
      "+1",
      "NaN",
      "\"abc",
      "\"\\x\"",
      "\"\\u12\"",
      "\"\\ud800\"",
      "\"\\udc00\"",
      "\"\\ud800\\u0041\"",
      "\"a\nb\"",
      "\"\xff\"",
      "\"\xc0\xaf\"",
      "\"\xed\xa0\x80\"",
      "\"\xe2\x9c\"",
      "tru",
      "{} x",
      "{\"a\":1,\"a\":2}",
      "[1] [2]",
      "/*c*/1",
  };
  for (const char* s : bad) {
    EXPECT_THROW(parse_str(s), JsonError) << "accepted: " << s;
  }
}

TEST(Json, ErrorsGiveTheOffset) {
  try {
    parse_str(R"({"a": 1, "a": 2})");
    FAIL() << "duplicate key accepted";
  } catch (const JsonError& e) {
    EXPECT_EQ(e.offset(), 9u);
    EXPECT_NE(std::string(e.what()).find("duplicate key \"a\""), std::string::npos) << e.what();
  }
}

TEST(Json, DepthLimit) {
  EXPECT_NO_THROW(parse_str("[[[1]]]", 3));
  EXPECT_THROW(parse_str("[[[[1]]]]", 3), JsonError);
  // A hostile document far deeper than the stack could take is refused early.
  const std::string deep(1'000'000, '[');
  EXPECT_THROW(parse_str(deep, 64), JsonError);
}

// Duplicate keys are found through a set: an object of 200,000 keys (a 3 MB
// header, well within safetensors' 100 MB limit) parses in linear time, where
// comparing each key with all earlier ones took 2e10 string comparisons (a hang
// for a hostile file). The duplicate at the very end is still caught.
TEST(Json, ManyKeysParseAndTheLastDuplicateIsFound) {
  constexpr int kKeys = 200000;
  std::string text = "{";
  for (int i = 0; i < kKeys; ++i)
    text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  const std::string unique = text.substr(0, text.size() - 1) + "}";
  const Value v = parse_str(unique);
  ASSERT_EQ(v.object.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(v.object.back().first, "k199999");
  try {
    parse_str(text + "\"k7\":0}");
    FAIL() << "expected a duplicate key error";
  } catch (const JsonError& e) {
    EXPECT_NE(std::string(e.what()).find("duplicate key \"k7\""), std::string::npos) << e.what();
  }
}

TEST(Json, QuoteRoundTrips) {
  const std::string s = "q\"b\\\n\x01\t\xc3\xa9";
  const std::string q = quote(s);
  EXPECT_EQ(q, "\"q\\\"b\\\\\\n\\u0001\\t\xc3\xa9\"");
  EXPECT_EQ(parse_str(q).text, s);
  EXPECT_TRUE(is_valid_utf8(s));
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

}  // namespace
}  // namespace gpunn::json
