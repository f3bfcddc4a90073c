// engine_protocol: which shape each protocol's engine sends, and which adapter reads it.

#include "engines/engine_protocol.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "sse/sse_parser.hpp"

namespace sy::engines {
namespace {

sse::Event data_event(std::string_view data, std::string_view name = {}) {
  return sse::Event{name, data, {}};
}

TEST(WireShape, PerProtocolAndKind) {
  struct Row {
    Protocol protocol;
    bool chat;
    WireShape shape;
  };
  for (const Row& row : {
           Row{Protocol::OpenAI, true, WireShape::OpenAIChat},
           Row{Protocol::OpenAI, false, WireShape::OpenAICompletions},
           Row{Protocol::LlamaCpp, true, WireShape::OpenAIChat},  // llama-server's /v1
           Row{Protocol::LlamaCpp, false, WireShape::LlamaCppCompletion},
       }) {
    EXPECT_EQ(wire_shape(row.protocol, row.chat), row.shape)
        << to_string(row.protocol) << (row.chat ? " chat" : " text");
  }
}

TEST(DecodeEvent, LlamaCppShapeUsesTheLlamaCppAdapter) {
  const auto ev = decode_event(WireShape::LlamaCppCompletion,
                               data_event(R"({"content":"x","stop":true,"stop_type":"limit"})"));
  EXPECT_EQ(ev.status, EventStatus::Ok);
  EXPECT_TRUE(ev.end);
  EXPECT_EQ(ev.finish_reason, R"("length")");
  EXPECT_EQ(ev.text, R"("x")");
  // [DONE] is not a llama.cpp event: the native stream has none.
  EXPECT_EQ(decode_event(WireShape::LlamaCppCompletion, data_event("[DONE]")).status,
            EventStatus::Malformed);
}

TEST(DecodeEvent, OpenAIShapesUseTheOpenAIAdapter) {
  for (const WireShape shape : {WireShape::OpenAIChat, WireShape::OpenAICompletions}) {
    const auto ev = decode_event(shape, data_event(R"({"content":"x","stop":true})"));
    EXPECT_EQ(ev.status, EventStatus::Ok);
    EXPECT_FALSE(ev.end) << "llama.cpp's stop means nothing to the OpenAI adapter";
    EXPECT_EQ(ev.text, R"("x")");
    EXPECT_TRUE(decode_event(shape, data_event("[DONE]")).end);
    EXPECT_EQ(decode_event(shape, data_event("not json")).status, EventStatus::Ok);
  }
}

TEST(DecodeEvent, EveryShapeReportsAnEngineErrorObject) {
  for (const WireShape shape :
       {WireShape::OpenAIChat, WireShape::OpenAICompletions, WireShape::LlamaCppCompletion}) {
    EXPECT_EQ(decode_event(shape, data_event(R"({"error":{"message":"x"}})")).status,
              EventStatus::EngineError);
  }
}

TEST(DecodeAnswer, DispatchesOnShape) {
  const std::string_view html = "<html>502</html>";
  EXPECT_FALSE(decode_answer(WireShape::LlamaCppCompletion, html).readable);
  EXPECT_TRUE(decode_answer(WireShape::OpenAIChat, html).readable);
  EXPECT_TRUE(decode_answer(WireShape::OpenAICompletions, html).readable);
  const std::string_view llama = R"({"content":"hi","stop":true,"stop_type":"limit"})";
  EXPECT_EQ(decode_answer(WireShape::LlamaCppCompletion, llama).finish_reason, R"("length")");
  EXPECT_EQ(decode_answer(WireShape::OpenAIChat, llama).finish_reason, "");
}

}  // namespace
}  // namespace sy::engines
