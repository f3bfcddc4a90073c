// JsonWriter and append_json_escaped: escaping, comma placement, number formatting.

#include "common/json_writer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace sy {
namespace {

std::string escaped(std::string_view text) {
  std::string out;
  append_json_escaped(out, text);
  return out;
}

TEST(JsonEscape, LeavesPlainTextUnchanged) {
  EXPECT_EQ(escaped("hello, world"), "hello, world");
  EXPECT_EQ(escaped(""), "");
}

TEST(JsonEscape, EscapesQuoteAndBackslash) {
  EXPECT_EQ(escaped(R"(say "hi")"), R"(say \"hi\")");
  EXPECT_EQ(escaped(R"(C:\dir\)"), R"(C:\\dir\\)");
  EXPECT_EQ(escaped("\"\\\""), R"(\"\\\")");
}

TEST(JsonEscape, UsesShortFormsForCommonControlCharacters) {
  EXPECT_EQ(escaped("a\nb\rc\td\be\ff"), R"(a\nb\rc\td\be\ff)");
}

TEST(JsonEscape, EscapesOtherControlCharactersAsUnicode) {
  EXPECT_EQ(escaped(std::string_view("\x00", 1)), R"(\u0000)");
  EXPECT_EQ(escaped("\x01"), R"(\u0001)");
  EXPECT_EQ(escaped("\x1f"), R"(\u001f)");
  EXPECT_EQ(escaped("x\x1by"), R"(x\u001by)");
  EXPECT_EQ(escaped("\x0b"), R"(\u000b)");
}

TEST(JsonEscape, DoesNotEscapeSpaceOrDelete) {
  EXPECT_EQ(escaped(" "), " ");
  EXPECT_EQ(escaped("\x7f"), "\x7f");
  EXPECT_EQ(escaped("/"), "/");
}

TEST(JsonEscape, PassesUtf8ThroughByteForByte) {
  const std::string text = "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80 \xE6\x97\xA5\xE6\x9C\xAC";
  EXPECT_EQ(escaped(text), text);
}

TEST(JsonEscape, PassesInvalidUtf8ThroughByteForByte) {
  const std::string text = "a\xC3\xFF\x80z";
  EXPECT_EQ(escaped(text), text);
}

TEST(JsonEscape, AppendsWithoutClearingTheBuffer) {
  std::string out = "prefix:";
  append_json_escaped(out, "a\"b");
  EXPECT_EQ(out, R"(prefix:a\"b)");
}

TEST(JsonWriter, WritesEmptyObjectAndArray) {
  std::string out;
  JsonWriter(out).begin_object().end_object();
  EXPECT_EQ(out, "{}");
  out.clear();
  JsonWriter(out).begin_array().end_array();
  EXPECT_EQ(out, "[]");
}

TEST(JsonWriter, SeparatesMembersWithCommas) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("a", 1).field("b", std::string_view("x")).field("c", true).end_object();
  EXPECT_EQ(out, R"({"a":1,"b":"x","c":true})");
}

TEST(JsonWriter, PlacesCommasCorrectlyInNestedObjectsAndArrays) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("a").begin_object().field("x", 1).key("y").begin_array().end_array().end_object();
  w.key("b")
      .begin_array()
      .value(1)
      .begin_object()
      .end_object()
      .begin_array()
      .value(2)
      .value(3)
      .end_array()
      .value("s")
      .end_array();
  w.key("c").begin_object().key("d").begin_object().field("e", false).end_object().end_object();
  w.field("f", 0);
  w.end_object();
  EXPECT_EQ(out, R"({"a":{"x":1,"y":[]},"b":[1,{},[2,3],"s"],"c":{"d":{"e":false}},"f":0})");
}

TEST(JsonWriter, SeparatesTopLevelArrayElements) {
  std::string out;
  JsonWriter w(out);
  w.begin_array()
      .begin_object()
      .end_object()
      .begin_object()
      .field("k", 1)
      .end_object()
      .null()
      .end_array();
  EXPECT_EQ(out, R"([{},{"k":1},null])");
}

TEST(JsonWriter, EscapesKeysAndStringValues) {
  std::string out;
  JsonWriter(out).begin_object().field("k\"1", std::string_view("line\nbreak\\")).end_object();
  EXPECT_EQ(out, R"({"k\"1":"line\nbreak\\"})");
}

TEST(JsonWriter, WritesIntegersAtTheirLimits) {
  std::string out;
  JsonWriter w(out);
  w.begin_array()
      .value(std::numeric_limits<std::int64_t>::min())
      .value(std::numeric_limits<std::int64_t>::max())
      .value(std::numeric_limits<std::uint64_t>::max())
      .value(-1)
      .value(7u)
      .end_array();
  EXPECT_EQ(out, "[-9223372036854775808,9223372036854775807,18446744073709551615,-1,7]");
}

TEST(JsonWriter, WritesFiniteDoublesAsNumbers) {
  std::string out;
  JsonWriter w(out);
  w.begin_array().value(1.5).value(-0.25).value(0.0).end_array();
  EXPECT_EQ(out, "[1.5,-0.25,0]");
}

TEST(JsonWriter, WritesNanAndInfinityAsNull) {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .field("nan", std::numeric_limits<double>::quiet_NaN())
      .field("inf", std::numeric_limits<double>::infinity())
      .field("ninf", -std::numeric_limits<double>::infinity())
      .end_object();
  EXPECT_EQ(out, R"({"nan":null,"inf":null,"ninf":null})");
}

TEST(JsonWriter, WritesRawJsonAsAValue) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("a").raw(R"({"pre":[1,2]})").key("b").raw("3").end_object();
  EXPECT_EQ(out, R"({"a":{"pre":[1,2]},"b":3})");
}

TEST(JsonWriter, AppendsToExistingBufferContent) {
  std::string out = "data: ";
  JsonWriter(out).begin_object().field("n", 1).end_object();
  EXPECT_EQ(out, R"(data: {"n":1})");
}

TEST(JsonWriter, WritesCStringValuesAsStrings) {
  std::string out;
  JsonWriter(out).begin_array().value("a").value("b\"").end_array();
  EXPECT_EQ(out, R"(["a","b\""])");
}

}  // namespace
}  // namespace sy
