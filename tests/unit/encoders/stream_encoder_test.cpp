// make_stream_encoder, and the relay's whole per-event path end to end: engine bytes → sse::Parser
// → decode_event → EventTally → encoder → client bytes.

#include "encoders/stream_encoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "client_bytes.hpp"
#include "encoders/completions_sse_encoder.hpp"
#include "encoders/pass_through_encoder.hpp"
#include "engines/engine_protocol.hpp"

namespace sy::encoders {
namespace {

using engines::EventStatus;
using engines::Protocol;
using engines::WireShape;
using testing::relay;

const ChunkIdentity kIdentity{"cmpl-cid-1", "llama-3", 1700000000, false};

TEST(MakeStreamEncoder, PassesThroughExactlyWhenShapesMatch) {
  constexpr WireShape kShapes[] = {WireShape::OpenAIChat, WireShape::OpenAICompletions,
                                   WireShape::LlamaCppCompletion};
  for (const WireShape client : {WireShape::OpenAIChat, WireShape::OpenAICompletions}) {
    for (const WireShape engine : kShapes) {
      const auto enc = make_stream_encoder(client, engine, kIdentity);
      ASSERT_NE(enc, nullptr);
      const bool pass_through = dynamic_cast<PassThroughEncoder*>(enc.get()) != nullptr;
      EXPECT_EQ(pass_through, client == engine)
          << static_cast<int>(client) << " " << static_cast<int>(engine);
      if (!pass_through) {
        EXPECT_NE(dynamic_cast<CompletionsSseEncoder*>(enc.get()), nullptr);
      }
    }
  }
}

TEST(MakeStreamEncoder, LlamaCppChatIsPassedThrough) {
  // llama.cpp's chat is its OpenAI-compatible /v1: the client gets the engine's events.
  const WireShape engine = engines::wire_shape(Protocol::LlamaCpp, /*chat=*/true);
  const std::string stream = "data: {\"content\":\"x\",\"stop\":false}\n\n";
  const auto r = relay(WireShape::OpenAIChat, engine, stream);
  EXPECT_EQ(r.out, stream);
}

// A llama.cpp native stream as the engine writes it (no [DONE]), with a comment line and CRLFs.
const std::string kLlamaStream =
    ": ping\n\n"
    "data: {\"content\":\"Hel\",\"stop\":false,\"id_slot\":0}\n\n"
    "data: {\"content\":\"lo\\n\",\"stop\":false}\r\n\r\n"
    "data: {\"content\":\"\",\"stop\":false}\n\n"
    "data: {\"content\":\"\",\"stop\":true,\"stop_type\":\"eos\",\"tokens_predicted\":2,"
    "\"tokens_evaluated\":3,\"timings\":{\"predicted_ms\":1.5}}\n\n";

std::string chunk(std::string_view text_token, std::string_view finish_reason) {
  return R"(data: {"id":"cmpl-cid-1","object":"text_completion","created":1700000000,)"
         R"("model":"llama-3","choices":[{"text":)" +
         std::string(text_token) + R"(,"index":0,"logprobs":null,"finish_reason":)" +
         std::string(finish_reason) + "}]}\n\n";
}

TEST(DecodeThenEncode, LlamaCppStreamBecomesTextCompletionChunks) {
  const std::string expected = chunk(R"("Hel")", "null") + chunk(R"("lo\n")", "null") +
                               chunk(R"("")", R"("stop")") + "data: [DONE]\n\n";
  const WireShape engine = engines::wire_shape(Protocol::LlamaCpp, /*chat=*/false);
  for (const std::size_t piece : {std::size_t{0}, std::size_t{7}, std::size_t{1}}) {
    const auto r = relay(WireShape::OpenAICompletions, engine, kLlamaStream, piece, kIdentity);
    EXPECT_EQ(r.out, expected) << piece;
    EXPECT_TRUE(r.ended);
    EXPECT_EQ(r.events, 4u);
    EXPECT_EQ(r.content_events, 2u);
    EXPECT_EQ(r.tokens_out, 2u);
    EXPECT_EQ(r.prompt_tokens, 3u);
  }
}

TEST(DecodeThenEncode, LlamaCppStreamWithUsage) {
  ChunkIdentity id = kIdentity;
  id.include_usage = true;
  const auto r =
      relay(WireShape::OpenAICompletions, WireShape::LlamaCppCompletion, kLlamaStream, 0, id);
  const auto events = testing::parse_sse(r.out);
  ASSERT_EQ(events.size(), 5u) << r.out;
  EXPECT_EQ(events[3].data,
            R"({"id":"cmpl-cid-1","object":"text_completion","created":1700000000,)"
            R"("model":"llama-3","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,)"
            R"("total_tokens":5}})");
  EXPECT_EQ(events[4].data, "[DONE]");
}

TEST(DecodeThenEncode, LlamaCppEngineCountWinsOverEvents) {
  const std::string stream =
      "data: {\"content\":\"ab\",\"stop\":false}\n\n"
      "data: {\"content\":\"\",\"stop\":true,\"tokens_predicted\":9,\"tokens_evaluated\":4}\n\n";
  const auto r = relay(WireShape::OpenAICompletions, WireShape::LlamaCppCompletion, stream);
  EXPECT_EQ(r.content_events, 1u);
  EXPECT_EQ(r.tokens_out, 9u);
  EXPECT_EQ(r.prompt_tokens, 4u);
}

TEST(DecodeThenEncode, LlamaCppMalformedEventEndsWithAnUpstreamError) {
  const std::string stream =
      "data: {\"content\":\"a\",\"stop\":false}\n\n"
      "data: {\"content\":\"b\",\n\n"
      "data: {\"content\":\"c\",\"stop\":false}\n\n";
  const auto r =
      relay(WireShape::OpenAICompletions, WireShape::LlamaCppCompletion, stream, 0, kIdentity);
  EXPECT_EQ(r.last_status, EventStatus::Malformed);
  EXPECT_FALSE(r.ended);
  EXPECT_EQ(r.events, 2u);
  EXPECT_EQ(r.content_events, 1u);
  const auto events = testing::parse_sse(r.out);
  ASSERT_EQ(events.size(), 2u) << r.out;
  EXPECT_NE(events[1].data.find("\"code\":\"upstream_error\""), std::string::npos);
}

TEST(DecodeThenEncode, LlamaCppEngineErrorPassesThrough) {
  const std::string error = R"({"error":{"code":500,"message":"context full"}})";
  const std::string stream = "data: {\"content\":\"a\",\"stop\":false}\n\ndata: " + error + "\n\n";
  const auto r =
      relay(WireShape::OpenAICompletions, WireShape::LlamaCppCompletion, stream, 3, kIdentity);
  EXPECT_EQ(r.last_status, EventStatus::EngineError);
  EXPECT_EQ(r.out, chunk(R"("a")", "null") + "data: " + error + "\n\n");
}

TEST(DecodeThenEncode, OpenAIStreamIsTheEnginesBytes) {
  const std::string stream =
      "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\\\"lo\"}}]}\n\n"
      "event: note\ndata: {\"x\":1}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}\n\n"
      "data: [DONE]\n\n";
  for (const bool chat : {true, false}) {
    const WireShape shape = engines::wire_shape(Protocol::OpenAI, chat);
    for (const std::size_t piece : {std::size_t{0}, std::size_t{4}, std::size_t{1}}) {
      const auto r = relay(shape, shape, stream, piece);
      EXPECT_EQ(r.out, stream);
      EXPECT_TRUE(r.ended);
      EXPECT_EQ(r.content_events, 1u);
      EXPECT_EQ(r.prompt_tokens, 5u);
    }
  }
}

TEST(DecodeThenEncode, OpenAIErrorEventIsForwardedAndStopsTheRelay) {
  const std::string stream =
      "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
      "data: {\"error\":{\"message\":\"boom\"}}\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n";
  const auto r = relay(WireShape::OpenAIChat, WireShape::OpenAIChat, stream);
  EXPECT_EQ(r.last_status, EventStatus::EngineError);
  EXPECT_EQ(r.events, 2u);
  EXPECT_EQ(r.out, stream.substr(0, stream.rfind("data: ")));
}

}  // namespace
}  // namespace sy::encoders
