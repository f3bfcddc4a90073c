// The OpenAI adapter: the cheap scans it runs per event, and what it reads out of events and
// whole answers.

#include "engines/openai_adapter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "sse/sse_parser.hpp"

namespace sy::engines {
namespace {

sse::Event data_event(std::string_view data, std::string_view name = {}) {
  return sse::Event{name, data, {}};
}

// --- has_usage_member -------------------------------------------------------------------------

TEST(HasUsageMember, FindsTheUsageKeyOnly) {
  EXPECT_TRUE(has_usage_member(R"({"choices":[],"usage":{"prompt_tokens":3}})"));
  EXPECT_TRUE(has_usage_member(R"({"usage":null})"));
  EXPECT_FALSE(has_usage_member(R"({"choices":[{"delta":{"content":"usage"}}]})"));
  EXPECT_FALSE(has_usage_member(R"({"choices":[{"delta":{"content":"my usage\" is"}}]})"));
  EXPECT_FALSE(has_usage_member(R"({"token_usage":1})"));
  EXPECT_FALSE(has_usage_member(""));
}

// --- content_token ----------------------------------------------------------------------------

TEST(ContentToken, IsTheTokenOfNonEmptyDeltaContent) {
  EXPECT_EQ(content_token(R"({"choices":[{"delta":{"content":"Hel"}}]})"), R"("Hel")");
  EXPECT_EQ(content_token(R"({"choices":[{"delta":{"content": "x"}}]})"), R"("x")");
  EXPECT_EQ(content_token(R"({"choices":[{"delta":{"content":"\""}}]})"), R"("\"")");
  EXPECT_EQ(content_token(R"({"choices":[{"delta":{"content":" "}}]})"), R"(" ")");
}

TEST(ContentToken, KeepsEscapesAsWritten) {
  EXPECT_EQ(content_token(R"({"delta":{"content":"a\"b\\"},"x":"y"})"), R"("a\"b\\")");
  EXPECT_EQ(content_token(R"({"content":"\u00e9\n\/","stop":false})"), R"("\u00e9\n\/")");
  EXPECT_EQ(content_token(R"({"content":"\\"})"), R"("\\")");
}

TEST(ContentToken, IsTheTokenOfNonEmptyText) {
  EXPECT_EQ(content_token(R"({"choices":[{"text":"abc","index":0}]})"), R"("abc")");
}

TEST(ContentToken, IsEmptyForEmptyNullOrMissingContent) {
  EXPECT_EQ(content_token(R"({"choices":[{"delta":{"role":"assistant","content":""}}]})"), "");
  EXPECT_EQ(content_token(R"({"choices":[{"delta":{"role":"assistant"}}]})"), "");
  EXPECT_EQ(content_token(R"({"choices":[{"delta":{"content":null}}]})"), "");
  EXPECT_EQ(content_token(R"({"choices":[{"delta":{"content": ""}}]})"), "");
  EXPECT_EQ(content_token(R"({"choices":[{"text":"","finish_reason":"length"}]})"), "");
  EXPECT_EQ(content_token(R"({"choices":[{"delta":{},"finish_reason":"stop"}]})"), "");
  EXPECT_EQ(content_token(""), "");
  EXPECT_EQ(content_token("{}"), "");
}

TEST(ContentToken, IgnoresSimilarKeysAndEscapedKeyText) {
  EXPECT_EQ(content_token(R"({"contents":"x","texts":"y"})"), "");
  EXPECT_EQ(content_token(R"({"reasoning_content_x":"","role":"say \"content\":\"y\""})"), "");
}

TEST(ContentToken, FindsContentInAnyChoice) {
  EXPECT_EQ(
      content_token(
          R"({"choices":[{"index":0,"delta":{"content":""}},{"index":1,"delta":{"content":"b"}}]})"),
      R"("b")");
  EXPECT_EQ(content_token(R"({"choices":[{"delta":{"content":""}}],"text":"z"})"), R"("z")");
}

TEST(ContentToken, IsEmptyWhenTheStringDoesNotEnd) {
  EXPECT_EQ(content_token(R"({"content":")"), "");
  EXPECT_EQ(content_token(R"({"content":)"), "");
  EXPECT_EQ(content_token(R"({"content":"abc)"), "");
  EXPECT_EQ(content_token(R"({"content":"abc\")"), "");
}

// --- finish_reason_token ----------------------------------------------------------------------

TEST(FinishReasonToken, IsTheTokenOfAStringFinishReason) {
  EXPECT_EQ(finish_reason_token(R"({"choices":[{"delta":{},"finish_reason":"stop"}]})"),
            R"("stop")");
  EXPECT_EQ(finish_reason_token(R"({"choices":[{"text":"","finish_reason": "length"}]})"),
            R"("length")");
  EXPECT_EQ(finish_reason_token(R"({"finish_reason":"tool_calls","x":1})"), R"("tool_calls")");
}

TEST(FinishReasonToken, IsEmptyWhenNullOrAbsent) {
  EXPECT_EQ(finish_reason_token(R"({"choices":[{"delta":{"content":"x"},"finish_reason":null}]})"),
            "");
  EXPECT_EQ(finish_reason_token(R"({"choices":[{"delta":{"content":"x"}}]})"), "");
  EXPECT_EQ(finish_reason_token(R"({"content":"the \"finish_reason\":\"stop\" text"})"), "");
  EXPECT_EQ(finish_reason_token(""), "");
}

// --- scan_uint_member -------------------------------------------------------------------------

TEST(ScanUintMember, ReadsIntegerMember) {
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens":7})", "completion_tokens"), 7u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens" : 42,"x":1})", "completion_tokens"), 42u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens":0})", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member(R"({"n":18446744073709551615})", "n"), 18446744073709551615u);
}

TEST(ScanUintMember, ReturnsZeroWhenAbsentOrNotAnInteger) {
  EXPECT_EQ(scan_uint_member(R"({"prompt_tokens":7})", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens":null})", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens":-5})", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens":"7"})", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member("", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member("completion_tokens:7", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens)", "completion_tokens"), 0u);
}

TEST(ScanUintMember, SkipsLongerNamesContainingTheName) {
  EXPECT_EQ(scan_uint_member(R"({"prompt_tokens_details":{"cached_tokens":3},"prompt_tokens":9})",
                             "prompt_tokens"),
            9u);
  EXPECT_EQ(scan_uint_member(R"({"cached_prompt_tokens":5,"prompt_tokens":9})", "prompt_tokens"),
            9u);
}

TEST(ScanUintMember, SkipsTheNameAppearingAsAStringValue) {
  EXPECT_EQ(scan_uint_member(R"({"note":"completion_tokens","completion_tokens":4})",
                             "completion_tokens"),
            4u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens":null,"usage":{"completion_tokens":3}})",
                             "completion_tokens"),
            3u);
}

// --- is_error_object --------------------------------------------------------------------------

TEST(IsErrorObject, RecognisesAnErrorObjectFirst) {
  EXPECT_TRUE(is_error_object(R"({"error":{"message":"boom","code":500}})"));
  EXPECT_TRUE(is_error_object(R"({"error" :{"message":"boom"}})"));
  EXPECT_TRUE(is_error_object(R"(  {"error":"overloaded"})"));
  EXPECT_TRUE(is_error_object("\n{\"error\":{}}"));
}

TEST(IsErrorObject, IsFalseForChunksAndAnErrorMemberLater) {
  EXPECT_FALSE(is_error_object(R"({"choices":[{"delta":{"content":"x"}}],"error":null})"));
  EXPECT_FALSE(is_error_object(R"({"content":"{\"error\":1}"})"));
  EXPECT_FALSE(is_error_object(R"({"errors":[]})"));
  EXPECT_FALSE(is_error_object("[DONE]"));
  EXPECT_FALSE(is_error_object(""));
}

// --- decode_openai_event ----------------------------------------------------------------------

TEST(DecodeOpenAIEvent, ReadsATokenChunk) {
  const std::string data = R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,)"
                           R"("delta":{"content":"Hel\"lo"},"finish_reason":null}]})";
  const EngineEvent ev = decode_openai_event(data_event(data));
  EXPECT_EQ(ev.status, EventStatus::Ok);
  EXPECT_EQ(ev.raw, data);
  EXPECT_EQ(ev.raw.data(), data.data()) << "a view into the input, not a copy";
  EXPECT_EQ(ev.name, "");
  EXPECT_EQ(ev.text, R"("Hel\"lo")");
  EXPECT_TRUE(ev.has_text());
  EXPECT_EQ(ev.finish_reason, "");
  EXPECT_FALSE(ev.usage.reported);
  EXPECT_FALSE(ev.end);
}

TEST(DecodeOpenAIEvent, ReadsTheFinishReasonOfAFinishChunk) {
  const EngineEvent ev = decode_openai_event(
      data_event(R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"));
  EXPECT_EQ(ev.status, EventStatus::Ok);
  EXPECT_EQ(ev.finish_reason, R"("stop")");
  EXPECT_FALSE(ev.has_text());
  EXPECT_FALSE(ev.end) << "an OpenAI stream ends with [DONE], not with the finish chunk";
}

TEST(DecodeOpenAIEvent, ReadsTheTextOfATextCompletionChunk) {
  const EngineEvent ev = decode_openai_event(
      data_event(R"({"object":"text_completion","choices":[{"text":"ab","index":0,)"
                 R"("logprobs":null,"finish_reason":"length"}]})"));
  EXPECT_EQ(ev.text, R"("ab")");
  EXPECT_EQ(ev.finish_reason, R"("length")");
}

TEST(DecodeOpenAIEvent, ReadsUsage) {
  const EngineEvent ev = decode_openai_event(
      data_event(R"({"choices":[],"usage":{"prompt_tokens_details":{"cached_tokens":4},)"
                 R"("prompt_tokens":12,"completion_tokens":7,"total_tokens":19,)"
                 R"("completion_tokens_details":{"reasoning_tokens":2}}})"));
  EXPECT_EQ(ev.status, EventStatus::Ok);
  EXPECT_TRUE(ev.usage.reported);
  EXPECT_EQ(ev.usage.prompt_tokens, 12u);
  EXPECT_EQ(ev.usage.completion_tokens, 7u);
  EXPECT_FALSE(ev.has_text());
}

TEST(DecodeOpenAIEvent, NullUsageIsReportedWithoutCounts) {
  const EngineEvent ev =
      decode_openai_event(data_event(R"({"choices":[{"delta":{"content":"x"}}],"usage":null})"));
  EXPECT_TRUE(ev.usage.reported);
  EXPECT_EQ(ev.usage.prompt_tokens, 0u);
  EXPECT_EQ(ev.usage.completion_tokens, 0u);
  EXPECT_EQ(ev.text, R"("x")");
}

TEST(DecodeOpenAIEvent, DoneEndsTheStream) {
  const EngineEvent ev = decode_openai_event(data_event("[DONE]"));
  EXPECT_EQ(ev.status, EventStatus::Ok);
  EXPECT_TRUE(ev.end);
  EXPECT_EQ(ev.raw, "[DONE]");
  EXPECT_FALSE(ev.has_text());
  EXPECT_FALSE(ev.usage.reported);
  // Whatever the event's name.
  EXPECT_TRUE(decode_openai_event(data_event("[DONE]", "done")).end);
  EXPECT_FALSE(decode_openai_event(data_event("[DONE] ")).end);
}

TEST(DecodeOpenAIEvent, ErrorObjectIsAnEngineError) {
  for (std::string_view data :
       {std::string_view(R"({"error":{"message":"boom","code":500}})"),
        std::string_view(R"({"error" :{"message":"boom"}})"),
        std::string_view(R"(  {"error":"overloaded"})"),
        std::string_view(R"({"error":{"message":"content","content":"x","usage":{}}})")}) {
    const EngineEvent ev = decode_openai_event(data_event(data));
    EXPECT_EQ(ev.status, EventStatus::EngineError) << data;
    EXPECT_EQ(ev.raw, data);
    EXPECT_FALSE(ev.has_text()) << data;
    EXPECT_FALSE(ev.usage.reported) << data;
    EXPECT_FALSE(ev.end) << data;
  }
}

TEST(DecodeOpenAIEvent, AnErrorMemberLaterInTheChunkIsNotAnError) {
  const EngineEvent ev =
      decode_openai_event(data_event(R"({"choices":[{"delta":{"content":"x"}}],"error":null})"));
  EXPECT_EQ(ev.status, EventStatus::Ok);
  EXPECT_EQ(ev.text, R"("x")");
}

TEST(DecodeOpenAIEvent, KeepsTheEventName) {
  const EngineEvent ev = decode_openai_event(data_event(R"({"type":"ping"})", "ping"));
  EXPECT_EQ(ev.name, "ping");
  EXPECT_EQ(ev.status, EventStatus::Ok);
  EXPECT_FALSE(ev.has_text());
}

TEST(DecodeOpenAIEvent, NeverCallsAnEventMalformed) {
  // Pass-through engines are not parsed: what cannot be read still reaches the client as sent.
  for (std::string_view data : {std::string_view("not json"), std::string_view(""),
                                std::string_view(R"({"content":"x")")}) {
    EXPECT_EQ(decode_openai_event(data_event(data)).status, EventStatus::Ok) << data;
  }
}

// --- decode_openai_answer ---------------------------------------------------------------------

TEST(DecodeOpenAIAnswer, ReadsTextFinishReasonAndUsage) {
  const std::string body =
      "{\n  \"id\": \"x\",\n  \"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": "
      "\"hi\"}, \"finish_reason\": \"stop\"}],\n  \"usage\": {\"prompt_tokens\": 11, "
      "\"completion_tokens\": 22, \"total_tokens\": 33}\n}";
  const EngineAnswer a = decode_openai_answer(body);
  EXPECT_TRUE(a.readable);
  EXPECT_EQ(a.raw, body);
  EXPECT_EQ(a.text, R"("hi")");
  EXPECT_EQ(a.finish_reason, R"("stop")");
  EXPECT_TRUE(a.usage.reported);
  EXPECT_EQ(a.usage.prompt_tokens, 11u);
  EXPECT_EQ(a.usage.completion_tokens, 22u);
}

TEST(DecodeOpenAIAnswer, ReadsATextCompletion) {
  const EngineAnswer a = decode_openai_answer(
      R"({"object":"text_completion","choices":[{"text":"once","index":0,"finish_reason":"length"}],)"
      R"("usage":{"prompt_tokens":2,"completion_tokens":1}})");
  EXPECT_EQ(a.text, R"("once")");
  EXPECT_EQ(a.finish_reason, R"("length")");
  EXPECT_EQ(a.usage.completion_tokens, 1u);
}

TEST(DecodeOpenAIAnswer, AnyBodyIsReadableAndKeptAsItIs) {
  // The body reaches an OpenAI client byte for byte, whatever it is.
  const std::string body = "<html>502 Bad Gateway</html>";
  const EngineAnswer a = decode_openai_answer(body);
  EXPECT_TRUE(a.readable);
  EXPECT_EQ(a.raw, body);
  EXPECT_EQ(a.text, "");
  EXPECT_EQ(a.finish_reason, "");
  EXPECT_EQ(a.usage.completion_tokens, 0u);
}

// The key scan compares 16 bytes at a time: every key must be found wherever the blocks cut it.
TEST(ScanMembers, FindsKeysAtEveryOffset) {
  for (std::size_t pad = 0; pad < 40; ++pad) {
    const std::string json = "{\"id\":\"" + std::string(pad, 'p') +
                             "\",\"choices\":[{\"delta\":{\"content\":\"tok\"},"
                             "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":4}}";
    EXPECT_EQ(content_token(json), "\"tok\"") << pad;
    EXPECT_EQ(finish_reason_token(json), "\"stop\"") << pad;
    EXPECT_TRUE(has_usage_member(json)) << pad;
  }
}

TEST(ScanMembers, IgnoresAKeyWhoseOpeningQuoteIsEscaped) {
  // `\"content":` inside a key: the key is `x"content`, not `content`.
  EXPECT_EQ(content_token(R"({"x\"content":"no","text":"yes"})"), R"("yes")");
  EXPECT_FALSE(has_usage_member(R"({"a\"usage":1})"));
}

TEST(ScanMembers, ColonsInsideStringsAreNotKeys) {
  EXPECT_EQ(content_token(R"({"delta":{"content":"a: \"content\": b"}})"),
            R"("a: \"content\": b")");
  EXPECT_EQ(finish_reason_token(R"({"content":"finish_reason\":x","finish_reason":"length"})"),
            R"("length")");
}

}  // namespace
}  // namespace sy::engines
