// The adapters' hot-path promise: decoding an event (or an answer) allocates nothing. The
// engines_test executable links tests/testutil/counting_allocator.cpp, which counts allocations
// while a test's AllocationWindow is open.

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "engines/engine_protocol.hpp"
#include "testutil/allocation_window.hpp"

namespace sy::engines {
namespace {

using testutil::AllocationWindow;

// The window must see allocations at all, or the tests below would pass vacuously (e.g. if the
// counting allocator were not linked).
TEST(AdapterAllocation, WindowCountsRealAllocations) {
  AllocationWindow window;
  auto p = std::make_unique<std::string>(100, 'x');
  EXPECT_GE(window.count(), 1u);
}

// Token events of varied lengths, built before any window opens.
std::vector<std::string> openai_token_events(std::size_t n) {
  std::vector<std::string> events;
  events.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    events.push_back(
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m",)"
        R"("choices":[{"index":0,"delta":{"content":")" +
        std::string(1 + i % 40, static_cast<char>('a' + i % 26)) +
        R"("},"logprobs":null,"finish_reason":null}]})");
  }
  return events;
}

std::vector<std::string> llamacpp_token_events(std::size_t n) {
  std::vector<std::string> events;
  events.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    events.push_back(R"({"content":")" + std::string(1 + i % 40, 'x') +
                     R"(\n\u00e9","stop":false,"id_slot":0,"multimodal":false,"index":0,)"
                     R"("timings":{"predicted_ms":12.5,"nested":[1,{"a":null}]}})");
  }
  return events;
}

TEST(AdapterAllocation, OpenAIDecodingAllocatesNothing) {
  const auto tokens = openai_token_events(1000);
  const std::string usage =
      R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}})";
  const std::string error = R"({"error":{"message":"boom"}})";
  std::size_t with_text = 0;
  std::size_t ends = 0;
  EventTally tally;
  {
    AllocationWindow window;
    for (const auto& data : tokens) {
      const EngineEvent ev = decode_event(WireShape::OpenAIChat, sse::Event{{}, data, {}});
      with_text += ev.has_text() ? 1 : 0;
      tally.count(ev);
    }
    tally.count(decode_event(WireShape::OpenAIChat, sse::Event{{}, usage, {}}));
    (void)decode_event(WireShape::OpenAIChat, sse::Event{{}, error, {}});
    ends += decode_event(WireShape::OpenAIChat, sse::Event{{}, "[DONE]", {}}).end ? 1 : 0;
    (void)decode_answer(WireShape::OpenAIChat, usage);
    EXPECT_EQ(window.count(), 0u);
  }
  EXPECT_EQ(with_text, 1000u);
  EXPECT_EQ(ends, 1u);
  EXPECT_EQ(tally.content_events(), 1000u);
  EXPECT_EQ(tally.tokens_out(), 7u);
}

TEST(AdapterAllocation, LlamaCppDecodingAllocatesNothing) {
  const auto tokens = llamacpp_token_events(1000);
  const std::string stop =
      R"({"content":"","stop":true,"stop_type":"limit","tokens_predicted":1000,)"
      R"("tokens_evaluated":5,"generation_settings":{"n_ctx":4096,"samplers":["top_k"]}})";
  const std::string malformed = R"({"content":"x",)";
  std::size_t with_text = 0;
  std::size_t bad = 0;
  EventTally tally;
  {
    AllocationWindow window;
    for (const auto& data : tokens) {
      const EngineEvent ev = decode_event(WireShape::LlamaCppCompletion, sse::Event{{}, data, {}});
      with_text += ev.has_text() ? 1 : 0;
      tally.count(ev);
    }
    tally.count(decode_event(WireShape::LlamaCppCompletion, sse::Event{{}, stop, {}}));
    bad += decode_event(WireShape::LlamaCppCompletion, sse::Event{{}, malformed, {}}).status ==
                   EventStatus::Malformed
               ? 1
               : 0;
    (void)decode_answer(WireShape::LlamaCppCompletion, stop);
    EXPECT_EQ(window.count(), 0u);
  }
  EXPECT_EQ(with_text, 1000u);
  EXPECT_EQ(bad, 1u);
  EXPECT_EQ(tally.tokens_out(), 1000u);
  EXPECT_EQ(tally.prompt_tokens(), 5u);
}

}  // namespace
}  // namespace sy::engines
