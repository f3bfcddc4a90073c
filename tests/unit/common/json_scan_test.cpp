#include "common/json_scan.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sy::json {
namespace {

TEST(JsonValidate, AcceptsEveryRfc8259Shape) {
  for (const char* text : {
           "{}",
           "[]",
           "0",
           "-0",
           "1.5",
           "-1.25e+10",
           "1E-5",
           "true",
           "false",
           "null",
           "\"\"",
           " \t\r\n{ \"a\" : [ 1 , 2 ] } \n",
           R"({"x":18446744073709551616})",  // does not fit uint64
           R"({"y":1e309})",                 // does not fit a double
           R"({"z":-1.5e-400})",
           R"({"big":123456789012345678901234567890.123456789012345678901234567890e123456})",
           R"({"s":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE80"})",
           R"({"lone":"\uD800"})",  // the grammar allows any \uXXXX
           "{\"utf8\":\"h\xC3\xA9llo \xF0\x9F\x9A\x80\"}",
           R"({"a":{"b":{"c":[[],[{}]]}}})",
           R"({"dup":1,"dup":2})",
       }) {
    EXPECT_TRUE(validate(text).ok()) << text;
  }
}

TEST(JsonValidate, RefusesWhatTheGrammarDoesNot) {
  for (const char* text : {
           "",
           " ",
           "{",
           "}",
           "[1,]",
           "{\"a\":1,}",
           "{\"a\" 1}",
           "{a:1}",
           "01",
           "1.",
           ".5",
           "1e",
           "1e+",
           "-",
           "+1",
           "0x10",
           "NaN",
           "Infinity",
           "tru",
           "nul",
           "\"abc",
           "'a'",
           "{\"a\":1}{}",
           "[1 2]",
           "{\"a\":\"\\x\"}",
           "{\"a\":\"\\u12G4\"}",
           "{\"a\":\"\\u12\"}",
           "[\"tab\there\"]",
           "{\"a\":1}x",
           "{,}",
           "[,1]",
       }) {
    EXPECT_FALSE(validate(text).ok()) << text;
  }
  std::string control = "[\"a";
  control += '\x01';
  control += "\"]";
  EXPECT_EQ(validate(control).status, ScanStatus::Syntax);
}

TEST(JsonValidate, RefusesInvalidUtf8) {
  EXPECT_EQ(validate("{\"a\":\"\xC3\"}").status, ScanStatus::InvalidUtf8);
  EXPECT_EQ(validate("\"\xED\xA0\x80\"").status, ScanStatus::InvalidUtf8);  // encoded surrogate
}

TEST(JsonValidate, ReportsWhereTheProblemIs) {
  const ScanResult r = validate(R"({"a":1,"b":})");
  EXPECT_EQ(r.status, ScanStatus::Syntax);
  EXPECT_EQ(r.offset, 11u);
}

TEST(JsonValidate, BoundsNestingDepth) {
  std::string ok(kMaxDepth, '[');
  ok += std::string(kMaxDepth, ']');
  EXPECT_TRUE(validate(ok).ok());
  std::string deep(kMaxDepth + 1, '[');
  deep += std::string(kMaxDepth + 1, ']');
  EXPECT_EQ(validate(deep).status, ScanStatus::TooDeep);
}

TEST(JsonMembers, SpansAreTheOriginalBytes) {
  const std::string text =
      R"( { "model" : "m", "x":18446744073709551616 , "nested":{"a":[1,"}"]},"e\u0073c":1e309 } )";
  ASSERT_TRUE(validate(text).ok());
  const auto members = top_level_members(text);
  ASSERT_EQ(members.size(), 4u);
  EXPECT_EQ(members[0].key, "model");
  EXPECT_EQ(members[0].value, "\"m\"");
  EXPECT_EQ(members[1].value, "18446744073709551616");
  EXPECT_EQ(members[2].value, R"({"a":[1,"}"]})");
  EXPECT_EQ(members[3].raw_key, R"("e\u0073c")");
  EXPECT_EQ(members[3].key, "esc");
  EXPECT_EQ(members[3].value, "1e309");
}

TEST(JsonMembers, UnescapesSurrogatePairsInKeys) {
  const auto members = top_level_members(R"({"\uD83D\uDE80":1,"\u00e9":2})");
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].key, "\xF0\x9F\x9A\x80");
  EXPECT_EQ(members[1].key, "\xC3\xA9");
}

TEST(JsonMembers, WithoutMemberKeepsAValidObject) {
  const std::string text = R"({"a":1, "priority":"batch" ,"b":2})";
  for (std::size_t i = 0; i < 3; ++i) {
    const auto members = top_level_members(text);
    const std::string out = without_member(text, members, i);
    EXPECT_TRUE(validate(out).ok()) << out;
    EXPECT_EQ(top_level_members(out).size(), 2u) << out;
  }
  const std::string only = R"({ "priority":"batch" })";
  const std::string out = without_member(only, top_level_members(only), 0);
  EXPECT_TRUE(validate(out).ok()) << out;
  EXPECT_TRUE(top_level_members(out).empty());
  EXPECT_EQ(without_member(R"({"a":1,"b":2})", top_level_members(R"({"a":1,"b":2})"), 1),
            R"({"a":1})");
}

TEST(JsonMembers, NotAnObjectGivesNoMembers) {
  EXPECT_TRUE(top_level_members("[1,2]").empty());
  EXPECT_TRUE(top_level_members("{}").empty());
}

// --- MemberCursor -----------------------------------------------------------------------------

std::vector<RawMember> walk(std::string_view text) {
  std::vector<RawMember> members;
  MemberCursor cursor(text);
  RawMember m;
  while (cursor.next(m)) members.push_back(m);
  return members;
}

TEST(MemberCursor, WalksMembersInDocumentOrderAsSpans) {
  const std::string text = R"({"b":1,"a":"x","c":true,"b":null})";
  ASSERT_TRUE(validate(text).ok());
  const auto members = walk(text);
  ASSERT_EQ(members.size(), 4u);
  EXPECT_EQ(members[0].raw_key, R"("b")");
  EXPECT_EQ(members[0].value, "1");
  EXPECT_EQ(members[1].raw_key, R"("a")");
  EXPECT_EQ(members[1].value, R"("x")");
  EXPECT_EQ(members[2].raw_key, R"("c")");
  EXPECT_EQ(members[2].value, "true");
  EXPECT_EQ(members[3].raw_key, R"("b")");  // duplicates are walked too
  EXPECT_EQ(members[3].value, "null");
  for (const RawMember& m : members) {
    // Views into the text, and begin/end bound the member exactly.
    EXPECT_GE(m.raw_key.data(), text.data());
    EXPECT_EQ(static_cast<std::size_t>(m.raw_key.data() - text.data()), m.begin);
    EXPECT_EQ(static_cast<std::size_t>(m.value.data() + m.value.size() - text.data()), m.end);
    EXPECT_EQ(text.substr(m.begin, m.end - m.begin),
              std::string(m.raw_key) + ":" + std::string(m.value));
  }
}

TEST(MemberCursor, SkipsNestedValuesWhole) {
  const std::string text =
      R"({"nested":{"a":[1,"}",{"b":"]"}],"c":{}},"arr":[[],[{"x":"\"{"}]],"last":"v"})";
  ASSERT_TRUE(validate(text).ok());
  const auto members = walk(text);
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].value, R"({"a":[1,"}",{"b":"]"}],"c":{}})");
  EXPECT_EQ(members[1].raw_key, R"("arr")");
  EXPECT_EQ(members[1].value, R"([[],[{"x":"\"{"}]])");
  EXPECT_EQ(members[2].raw_key, R"("last")");
  EXPECT_EQ(members[2].value, R"("v")");
}

TEST(MemberCursor, KeepsKeysAndValuesAsWritten) {
  const auto members = walk(R"({"e\u0073c":"a\"b\\","n":-1.5e+300,"big":18446744073709551616})");
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].raw_key, R"("e\u0073c")");
  EXPECT_EQ(members[0].value, R"("a\"b\\")");
  EXPECT_EQ(members[1].value, "-1.5e+300");
  EXPECT_EQ(members[2].value, "18446744073709551616");
}

TEST(MemberCursor, SkipsWhitespaceEverywhere) {
  const std::string text = " \t\r\n{ \"a\" :\n 1 ,\r\n\t\"b\"\t:\t[ 2 , 3 ] \n}\n ";
  ASSERT_TRUE(validate(text).ok());
  const auto members = walk(text);
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].raw_key, R"("a")");
  EXPECT_EQ(members[0].value, "1");
  EXPECT_EQ(members[1].raw_key, R"("b")");
  EXPECT_EQ(members[1].value, "[ 2 , 3 ]");
  EXPECT_EQ(text.substr(members[1].begin, members[1].end - members[1].begin),
            "\"b\"\t:\t[ 2 , 3 ]");
}

TEST(MemberCursor, NotAnObjectGivesNoMembers) {
  for (const char* text : {"[1,2]", "{}", " { } ", "\"{\\\"a\\\":1}\"", "1", "null", "", "  "}) {
    EXPECT_TRUE(walk(text).empty()) << text;
  }
}

TEST(MemberCursor, StaysFinishedOnceDone) {
  MemberCursor cursor(R"({"a":1})");
  RawMember m;
  ASSERT_TRUE(cursor.next(m));
  EXPECT_FALSE(cursor.next(m));
  EXPECT_FALSE(cursor.next(m));
  MemberCursor not_object("[]");
  EXPECT_FALSE(not_object.next(m));
  EXPECT_FALSE(not_object.next(m));
}

TEST(MemberCursor, AgreesWithTopLevelMembers) {
  const std::string text =
      R"( { "model" : "m", "x":18446744073709551616 , "nested":{"a":[1,"}"]},"e\u0073c":1e309 } )";
  const auto raw = walk(text);
  const auto members = top_level_members(text);
  ASSERT_EQ(raw.size(), members.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    EXPECT_EQ(raw[i].raw_key, members[i].raw_key);
    EXPECT_EQ(raw[i].value, members[i].value);
    EXPECT_EQ(raw[i].begin, members[i].begin);
    EXPECT_EQ(raw[i].end, members[i].end);
  }
}

// --- key_is -----------------------------------------------------------------------------------

TEST(KeyIs, MatchesTheKeyWrittenWithoutEscapes) {
  EXPECT_TRUE(key_is(R"("content")", "content"));
  EXPECT_TRUE(key_is(R"("")", ""));
  EXPECT_FALSE(key_is(R"("contents")", "content"));
  EXPECT_FALSE(key_is(R"("conten")", "content"));
  EXPECT_FALSE(key_is(R"("Content")", "content"));
  EXPECT_FALSE(key_is(R"("\u0063ontent")", "content"));  // escaped: not matched
  EXPECT_FALSE(key_is("content", "content"));            // not a token
  EXPECT_FALSE(key_is("", "content"));
}

// --- uint_token -------------------------------------------------------------------------------

TEST(UintToken, ReadsDigits) {
  EXPECT_EQ(uint_token("0"), 0u);
  EXPECT_EQ(uint_token("7"), 7u);
  EXPECT_EQ(uint_token("4096"), 4096u);
  EXPECT_EQ(uint_token("007"), 7u);  // leading zeros (not JSON, but harmless) read as digits
  EXPECT_EQ(uint_token("18446744073709551615"), 18446744073709551615u);
}

TEST(UintToken, RefusesAnythingElse) {
  for (const char* text : {"", "-1", "+1", "-0", "1.0", "1.5", "1e3", "1E3", " 1", "1 ", "\"7\"",
                           "null", "0x10", "18446744073709551616", "18446744073709551620",
                           "99999999999999999999", "184467440737095516150"}) {
    EXPECT_EQ(uint_token(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace sy::json
