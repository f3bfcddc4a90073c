// The llama.cpp adapter: native /completion events and answers read into the normalised event.

#include "engines/llamacpp_adapter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "sse/sse_parser.hpp"

namespace sy::engines {
namespace {

sse::Event data_event(std::string_view data, std::string_view name = {}) {
  return sse::Event{name, data, {}};
}

// --- events -----------------------------------------------------------------------------------

TEST(DecodeLlamaCppEvent, ReadsATokenEvent) {
  const std::string data = R"({"content":"Hel","stop":false,"id_slot":0,"multimodal":false})";
  const EngineEvent ev = decode_llamacpp_event(data_event(data));
  EXPECT_EQ(ev.status, EventStatus::Ok);
  EXPECT_EQ(ev.raw, data);
  EXPECT_EQ(ev.raw.data(), data.data()) << "a view into the input, not a copy";
  EXPECT_EQ(ev.text, R"("Hel")");
  EXPECT_EQ(ev.text.data(), data.data() + data.find("\"Hel\""));
  EXPECT_TRUE(ev.has_text());
  EXPECT_FALSE(ev.end);
  EXPECT_EQ(ev.finish_reason, "");
  EXPECT_FALSE(ev.usage.reported);
}

TEST(DecodeLlamaCppEvent, KeepsEscapedTextEscaped) {
  const EngineEvent ev =
      decode_llamacpp_event(data_event(R"({"content":"a\"b\nc\\d\u00e9\/","stop":false})"));
  EXPECT_EQ(ev.status, EventStatus::Ok);
  EXPECT_EQ(ev.text, R"("a\"b\nc\\d\u00e9\/")");
}

TEST(DecodeLlamaCppEvent, EmptyNullOrMissingContentIsNoText) {
  EXPECT_EQ(decode_llamacpp_event(data_event(R"({"content":"","stop":false})")).text, R"("")");
  for (std::string_view data : {std::string_view(R"({"content":"","stop":false})"),
                                std::string_view(R"({"content":null,"stop":false})"),
                                std::string_view(R"({"content":7,"stop":false})"),
                                std::string_view(R"({"stop":false})"), std::string_view("{}")}) {
    const EngineEvent ev = decode_llamacpp_event(data_event(data));
    EXPECT_EQ(ev.status, EventStatus::Ok) << data;
    EXPECT_FALSE(ev.has_text()) << data;
    EXPECT_FALSE(ev.end) << data;
  }
}

TEST(DecodeLlamaCppEvent, ReadsOnlyTopLevelMembers) {
  const EngineEvent ev = decode_llamacpp_event(data_event(
      R"({"generation_settings":{"content":"no","stop":true},"content":"yes","stop":false})"));
  EXPECT_EQ(ev.text, R"("yes")");
  EXPECT_FALSE(ev.end);
  const EngineEvent nested =
      decode_llamacpp_event(data_event(R"({"x":{"content":"no"},"stop":false})"));
  EXPECT_FALSE(nested.has_text());
}

TEST(DecodeLlamaCppEvent, AcceptsWhitespaceAroundTokens) {
  const EngineEvent ev = decode_llamacpp_event(
      data_event(" {\n \"content\" : \"x\" ,\t\"stop\" : true , \"stop_type\" : \"limit\" } "));
  EXPECT_EQ(ev.status, EventStatus::Ok);
  EXPECT_EQ(ev.text, R"("x")");
  EXPECT_TRUE(ev.end);
  EXPECT_EQ(ev.finish_reason, R"("length")");
}

TEST(DecodeLlamaCppEvent, StopAtTheLimitIsLength) {
  const EngineEvent ev = decode_llamacpp_event(
      data_event(R"({"content":"","stop":true,"stop_type":"limit","tokens_predicted":3,)"
                 R"("tokens_evaluated":5})"));
  EXPECT_EQ(ev.status, EventStatus::Ok);
  EXPECT_TRUE(ev.end);
  EXPECT_EQ(ev.finish_reason, R"("length")");
  EXPECT_FALSE(ev.has_text());
  EXPECT_TRUE(ev.usage.reported);
  EXPECT_EQ(ev.usage.completion_tokens, 3u);
  EXPECT_EQ(ev.usage.prompt_tokens, 5u);
}

TEST(DecodeLlamaCppEvent, StopAtEosStopWordOrUnknownIsStop) {
  for (std::string_view data :
       {std::string_view(R"({"content":"","stop":true,"stop_type":"eos"})"),
        std::string_view(R"({"content":"","stop":true,"stop_type":"word","stopping_word":"\n"})"),
        std::string_view(R"({"stop":true,"stop_type":"none"})"),
        std::string_view(R"({"stop":true})")}) {
    const EngineEvent ev = decode_llamacpp_event(data_event(data));
    EXPECT_TRUE(ev.end) << data;
    EXPECT_EQ(ev.finish_reason, R"("stop")") << data;
  }
}

TEST(DecodeLlamaCppEvent, OnlyTheLiteralTrueStops) {
  for (std::string_view data : {std::string_view(R"({"content":"x","stop":"true"})"),
                                std::string_view(R"({"content":"x","stop":1})"),
                                std::string_view(R"({"content":"x","stop":null})")}) {
    const EngineEvent ev = decode_llamacpp_event(data_event(data));
    EXPECT_EQ(ev.status, EventStatus::Ok) << data;
    EXPECT_FALSE(ev.end) << data;
    EXPECT_EQ(ev.finish_reason, "") << data;
  }
}

TEST(DecodeLlamaCppEvent, KeepsTheFinalContent) {
  const EngineEvent ev = decode_llamacpp_event(data_event(
      R"({"content":"!","stop":true,"stop_type":"eos","tokens_predicted":1,"tokens_evaluated":1})"));
  EXPECT_TRUE(ev.end);
  EXPECT_EQ(ev.text, R"("!")");
  EXPECT_EQ(ev.finish_reason, R"("stop")");
}

TEST(DecodeLlamaCppEvent, UsageCountsThatAreNotUnsignedIntegersReadAsZero) {
  const EngineEvent ev = decode_llamacpp_event(
      data_event(R"({"stop":true,"tokens_predicted":-3,"tokens_evaluated":2.5})"));
  EXPECT_TRUE(ev.usage.reported);
  EXPECT_EQ(ev.usage.completion_tokens, 0u);
  EXPECT_EQ(ev.usage.prompt_tokens, 0u);
  const EngineEvent big = decode_llamacpp_event(
      data_event(R"({"stop":true,"tokens_predicted":18446744073709551616,"tokens_evaluated":9})"));
  EXPECT_EQ(big.status, EventStatus::Ok);
  EXPECT_EQ(big.usage.completion_tokens, 0u);
  EXPECT_EQ(big.usage.prompt_tokens, 9u);
}

TEST(DecodeLlamaCppEvent, InvalidJsonIsMalformed) {
  for (std::string_view data :
       {std::string_view("not json"), std::string_view(R"({"content":"x")"), std::string_view(""),
        std::string_view(R"({"content":"x",})"), std::string_view(R"({"content":"x"} {})"),
        std::string_view("{\"content\":\"\xff\"}"), std::string_view("[DONE]")}) {
    const EngineEvent ev = decode_llamacpp_event(data_event(data));
    EXPECT_EQ(ev.status, EventStatus::Malformed) << data;
    EXPECT_EQ(ev.raw, data);
    EXPECT_FALSE(ev.has_text()) << data;
    EXPECT_FALSE(ev.end) << data;
  }
}

TEST(DecodeLlamaCppEvent, JsonThatIsNotAnObjectIsMalformed) {
  for (std::string_view data :
       {std::string_view("[1,2]"), std::string_view(R"("content")"), std::string_view("42"),
        std::string_view("null"), std::string_view("true")}) {
    EXPECT_EQ(decode_llamacpp_event(data_event(data)).status, EventStatus::Malformed) << data;
  }
}

TEST(DecodeLlamaCppEvent, ErrorObjectIsAnEngineError) {
  const std::string data =
      R"({"error":{"code":500,"message":"context full","type":"server_error"}})";
  const EngineEvent ev = decode_llamacpp_event(data_event(data));
  EXPECT_EQ(ev.status, EventStatus::EngineError);
  EXPECT_EQ(ev.raw, data);
  EXPECT_FALSE(ev.end);
  EXPECT_FALSE(ev.has_text());
  // Recognised before validation: an error the engine cut short is still its error.
  EXPECT_EQ(decode_llamacpp_event(data_event(R"({"error":{"message":"boo)")).status,
            EventStatus::EngineError);
}

TEST(DecodeLlamaCppEvent, KeepsTheEventName) {
  EXPECT_EQ(decode_llamacpp_event(data_event(R"({"content":"x"})", "token")).name, "token");
}

// --- answers ----------------------------------------------------------------------------------

TEST(DecodeLlamaCppAnswer, ReadsAWholeAnswer) {
  const std::string body =
      R"({"content":"Hello world","stop":true,"stop_type":"eos","tokens_predicted":2,)"
      R"("tokens_evaluated":4,"generation_settings":{"n_ctx":4096,"content":"no"}})";
  const EngineAnswer a = decode_llamacpp_answer(body);
  EXPECT_TRUE(a.readable);
  EXPECT_EQ(a.raw, body);
  EXPECT_EQ(a.text, R"("Hello world")");
  EXPECT_EQ(a.finish_reason, R"("stop")");
  EXPECT_TRUE(a.usage.reported);
  EXPECT_EQ(a.usage.completion_tokens, 2u);
  EXPECT_EQ(a.usage.prompt_tokens, 4u);
}

TEST(DecodeLlamaCppAnswer, LimitIsLength) {
  const EngineAnswer a = decode_llamacpp_answer(
      R"({"content":"x","stop":true,"stop_type":"limit","tokens_predicted":1,"tokens_evaluated":1})");
  EXPECT_TRUE(a.readable);
  EXPECT_EQ(a.finish_reason, R"("length")");
}

TEST(DecodeLlamaCppAnswer, AnswerWithoutContentHasNoText) {
  const EngineAnswer a = decode_llamacpp_answer(R"({"stop":true})");
  EXPECT_TRUE(a.readable);
  EXPECT_EQ(a.text, "");
  EXPECT_EQ(a.finish_reason, R"("stop")");
}

TEST(DecodeLlamaCppAnswer, BodyThatIsNotAJsonObjectIsUnreadable) {
  for (std::string_view body :
       {std::string_view("<html>502 Bad Gateway</html>"), std::string_view(""),
        std::string_view("[]"), std::string_view(R"({"content":"x")")}) {
    const EngineAnswer a = decode_llamacpp_answer(body);
    EXPECT_FALSE(a.readable) << body;
    EXPECT_EQ(a.raw, body);
    EXPECT_EQ(a.text, "");
  }
}

}  // namespace
}  // namespace sy::engines
