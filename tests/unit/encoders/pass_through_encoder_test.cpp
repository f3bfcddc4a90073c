// PassThroughEncoder: an engine that speaks the client's protocol reaches it byte for byte.

#include "encoders/pass_through_encoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "client_bytes.hpp"
#include "engines/openai_adapter.hpp"

namespace sy::encoders {
namespace {

using testing::relay;

engines::EngineEvent openai(std::string_view data, std::string_view name = {}) {
  return engines::decode_openai_event(sse::Event{name, data, {}});
}

TEST(PassThroughEncoder, ReEmitsDataEventExactly) {
  PassThroughEncoder enc;
  const std::string data =
      R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"}}]})";
  std::string out;
  enc.encode(openai(data), out);
  EXPECT_EQ(out, "data: " + data + "\n\n");
}

TEST(PassThroughEncoder, AppendsWithoutClearingOutput) {
  PassThroughEncoder enc;
  std::string out = "data: a\n\n";
  enc.encode(openai(R"({"choices":[{"delta":{"content":"b"}}]})"), out);
  EXPECT_EQ(out, "data: a\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n");
}

TEST(PassThroughEncoder, EndsOnDone) {
  PassThroughEncoder enc;
  std::string out;
  enc.encode(openai("[DONE]"), out);
  EXPECT_EQ(out, "data: [DONE]\n\n");
  out.clear();
  enc.encode(openai("[DONE]", "done"), out);  // OpenAI's end is a plain data event
  EXPECT_EQ(out, "data: [DONE]\n\n");
}

TEST(PassThroughEncoder, ForwardsTheEnginesErrorEvent) {
  for (std::string_view data : {std::string_view(R"({"error":{"message":"boom","code":500}})"),
                                std::string_view(R"({"error" :{"message":"boom"}})"),
                                std::string_view(R"(  {"error":"overloaded"})")}) {
    PassThroughEncoder enc;
    const engines::EngineEvent ev = openai(data);
    ASSERT_EQ(ev.status, engines::EventStatus::EngineError) << data;
    std::string out;
    enc.encode(ev, out);
    EXPECT_EQ(out, "data: " + std::string(data) + "\n\n");  // no [DONE]: the relay ends it
  }
}

TEST(PassThroughEncoder, ReEmitsNamedEventsWithEventLine) {
  PassThroughEncoder enc;
  std::string out;
  enc.encode(openai(R"({"type":"ping"})", "ping"), out);
  EXPECT_EQ(out, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
  out.clear();
  enc.encode(openai(R"({"x":1})", "message"), out);  // the default name needs no line
  EXPECT_EQ(out, "data: {\"x\":1}\n\n");
}

TEST(PassThroughEncoder, SplitsMultiLineDataIntoDataLines) {
  PassThroughEncoder enc;
  std::string out;
  enc.encode(openai("line one\nline two"), out);
  EXPECT_EQ(out, "data: line one\ndata: line two\n\n");
}

TEST(PassThroughEncoder, ForwardsWhatItCannotReadAsItIs) {
  PassThroughEncoder enc;
  std::string out;
  enc.encode(openai("not json"), out);
  EXPECT_EQ(out, "data: not json\n\n");
}

TEST(PassThroughEncoder, RoundTripsACanonicalStreamByteForByte) {
  const std::string stream =
      "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
      "event: ping\ndata: {\"type\":\"ping\"}\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}\n\n"
      "data: {\"choices\":[{\"delta\":\ndata: {\"content\":\" world\"}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,"
      "\"total_tokens\":7}}\n\n"
      "data: [DONE]\n\n";
  // Whole, in small pieces as the network would cut them, and byte by byte.
  for (const std::size_t piece : {std::size_t{0}, std::size_t{5}, std::size_t{1}}) {
    const auto r =
        relay(engines::WireShape::OpenAIChat, engines::WireShape::OpenAIChat, stream, piece);
    EXPECT_EQ(r.out, stream) << piece;
    EXPECT_EQ(r.events, 7u);
    EXPECT_TRUE(r.ended);
    EXPECT_EQ(r.content_events, 2u);
    EXPECT_EQ(r.tokens_out, 2u);
    EXPECT_EQ(r.prompt_tokens, 5u);
  }
}

TEST(PassThroughEncoder, RoundTripsATextCompletionStream) {
  const std::string stream =
      "data: {\"object\":\"text_completion\",\"choices\":[{\"text\":\"a\\nb\",\"index\":0}]}\n\n"
      "data: {\"object\":\"text_completion\",\"choices\":[{\"text\":\"\",\"index\":0,"
      "\"finish_reason\":\"length\"}]}\n\n"
      "data: [DONE]\n\n";
  const auto r = relay(engines::WireShape::OpenAICompletions, engines::WireShape::OpenAICompletions,
                       stream, 3);
  EXPECT_EQ(r.out, stream);
  EXPECT_EQ(r.content_events, 1u);
  EXPECT_TRUE(r.ended);
}

}  // namespace
}  // namespace sy::encoders
