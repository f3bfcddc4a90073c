// The relay's hot-path promise for decode + encode: once the buffers are warm, relaying a token
// allocates nothing. The encoders_test executable links tests/testutil/counting_allocator.cpp,
// which counts allocations while a test's AllocationWindow is open.

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "encoders/stream_encoder.hpp"
#include "engines/engine_protocol.hpp"
#include "testutil/allocation_window.hpp"

namespace sy::encoders {
namespace {

using engines::WireShape;
using testutil::AllocationWindow;

// The window must see allocations at all, or the tests below would pass vacuously (e.g. if the
// counting allocator were not linked).
TEST(EncoderAllocation, WindowCountsRealAllocations) {
  AllocationWindow window;
  auto p = std::make_unique<std::string>(100, 'x');
  EXPECT_GE(window.count(), 1u);
}

const ChunkIdentity kIdentity{"cmpl-0123456789abcdef", "meta-llama/Llama-3.1-8B-Instruct",
                              1700000000, true};

// What the relay does per event.
struct Relay {
  Relay(WireShape client, WireShape engine)
      : engine_shape(engine), encoder(make_stream_encoder(client, engine, kIdentity)) {
    out.reserve(4096);
  }
  void event(const std::string& data) {
    const engines::EngineEvent ev = engines::decode_event(engine_shape, sse::Event{{}, data, {}});
    tally.count(ev);
    encoder->encode(ev, out);
  }
  WireShape engine_shape;
  std::unique_ptr<StreamEncoder> encoder;
  engines::EventTally tally;
  std::string out;
};

// Token events of varied lengths, built before any window opens.
std::vector<std::string> openai_token_events(std::size_t n) {
  std::vector<std::string> events;
  events.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    events.push_back(
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m",)"
        R"("choices":[{"index":0,"delta":{"content":")" +
        std::string(1 + i % 7, static_cast<char>('a' + i % 26)) +
        R"("},"logprobs":null,"finish_reason":null}]})");
  }
  return events;
}

TEST(EncoderAllocation, OpenAIPassThroughAllocatesNothingPerToken) {
  Relay relay(WireShape::OpenAIChat, WireShape::OpenAIChat);
  const auto warm = openai_token_events(7);
  const auto tokens = openai_token_events(1000);
  for (const auto& data : warm) {
    relay.out.clear();
    relay.event(data);
  }
  std::size_t bytes = 0;
  {
    AllocationWindow window;
    for (const auto& data : tokens) {
      relay.out.clear();
      relay.event(data);
      bytes += relay.out.size();
    }
    EXPECT_EQ(window.count(), 0u);
  }
  EXPECT_EQ(relay.tally.content_events(), 1007u);
  EXPECT_GT(bytes, 1000u * 100u);
}

TEST(EncoderAllocation, OpenAIPassThroughAllocatesNothingForUsageAndDone) {
  Relay relay(WireShape::OpenAIChat, WireShape::OpenAIChat);
  const std::string usage =
      R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}})";
  const std::string done = "[DONE]";
  relay.event(usage);
  relay.out.clear();
  {
    AllocationWindow window;
    relay.event(usage);
    relay.event(done);
    EXPECT_EQ(window.count(), 0u);
  }
  EXPECT_TRUE(relay.out.ends_with("data: [DONE]\n\n"));
  EXPECT_EQ(relay.tally.tokens_out(), 7u);
}

TEST(EncoderAllocation, LlamaCppAllocatesNothingPerShortToken) {
  Relay relay(WireShape::OpenAICompletions, WireShape::LlamaCppCompletion);
  std::vector<std::string> tokens;
  for (int i = 0; i < 1007; ++i) {
    tokens.push_back(R"({"content":")" + std::string(1 + i % 7, 'x') +
                     R"(","stop":false,"id_slot":0,"multimodal":false,"index":0})");
  }
  // Warm-up covers every token length, so the buffers reach their steady-state size.
  for (std::size_t i = 0; i < 7; ++i) {
    relay.out.clear();
    relay.event(tokens[i]);
  }
  std::size_t bytes = 0;
  {
    AllocationWindow window;
    for (std::size_t i = 7; i < tokens.size(); ++i) {
      relay.out.clear();
      relay.event(tokens[i]);
      bytes += relay.out.size();
    }
    EXPECT_EQ(window.count(), 0u);
  }
  EXPECT_EQ(relay.tally.content_events(), 1007u);
  EXPECT_GT(bytes, 1000u * 100u);
}

TEST(EncoderAllocation, LlamaCppAllocatesNothingPerLongToken) {
  // A chunk may carry more text than fits a std::string's small buffer (a long token, or several
  // tokens sent together); the steady-state promise covers those too.
  Relay relay(WireShape::OpenAICompletions, WireShape::LlamaCppCompletion);
  const std::string token =
      R"({"content":"a_rather_long_identifier_name \"quoted\" \u00e9","stop":false})";
  for (int i = 0; i < 5; ++i) {
    relay.out.clear();
    relay.event(token);
  }
  {
    AllocationWindow window;
    for (int i = 0; i < 100; ++i) {
      relay.out.clear();
      relay.event(token);
    }
    EXPECT_EQ(window.count(), 0u);
  }
  EXPECT_EQ(relay.tally.content_events(), 105u);
}

TEST(EncoderAllocation, LlamaCppAllocatesNothingForTheEndOnceWarm) {
  // The end writes three events (finish, usage, [DONE]) through the same scratch buffer.
  Relay relay(WireShape::OpenAICompletions, WireShape::LlamaCppCompletion);
  const std::string stop =
      R"({"content":"!","stop":true,"stop_type":"limit","tokens_predicted":1000,)"
      R"("tokens_evaluated":5})";
  relay.event(stop);
  relay.out.clear();
  {
    AllocationWindow window;
    relay.event(stop);
    EXPECT_EQ(window.count(), 0u);
  }
  EXPECT_TRUE(relay.out.ends_with("data: [DONE]\n\n"));
  EXPECT_NE(relay.out.find(R"("completion_tokens":1000)"), std::string::npos);
}

}  // namespace
}  // namespace sy::encoders
