// The translators' hot-path promise: once buffers are warm, on_event allocates nothing. The
// engines_test executable links tests/testutil/counting_allocator.cpp, which counts allocations
// while a test's AllocationWindow is open.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "engines/stream_translator.hpp"
#include "testutil/allocation_window.hpp"

namespace sy::engines {
namespace {

using testutil::AllocationWindow;

// Token events of varied lengths, built before any window opens.
std::vector<std::string> openai_token_events(std::size_t n) {
  std::vector<std::string> events;
  events.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    events.push_back(
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m",)"
        R"("choices":[{"index":0,"delta":{"content":")" +
        std::string(1 + i % 7, 'a' + static_cast<char>(i % 26)) +
        R"("},"logprobs":null,"finish_reason":null}]})");
  }
  return events;
}

api::CompletionRequest request(api::CompletionKind kind) {
  api::CompletionRequest r;
  r.kind = kind;
  r.model = "m";
  r.stream = true;
  return r;
}

TEST(TranslatorAllocation, OpenAIPassThroughAllocatesNothingPerToken) {
  auto t = make_stream_translator(Protocol::OpenAI, request(api::CompletionKind::Chat), "cid");
  const auto warm = openai_token_events(7);
  const auto tokens = openai_token_events(1000);
  std::string out;
  out.reserve(4096);
  for (const auto& data : warm) {
    out.clear();
    ASSERT_EQ(t->on_event(sse::Event{{}, data, {}}, out), EventResult::Continue);
  }

  std::size_t bytes = 0;
  std::size_t continues = 0;
  {
    AllocationWindow window;
    for (const auto& data : tokens) {
      out.clear();
      continues += t->on_event(sse::Event{{}, data, {}}, out) == EventResult::Continue ? 1 : 0;
      bytes += out.size();
    }
    EXPECT_EQ(window.count(), 0u);
  }
  EXPECT_EQ(continues, 1000u);
  EXPECT_EQ(t->content_events(), 1007u);
  EXPECT_GT(bytes, 1000u * 100u);
}

TEST(TranslatorAllocation, OpenAIPassThroughAllocatesNothingForUsageAndDone) {
  auto t = make_stream_translator(Protocol::OpenAI, request(api::CompletionKind::Chat), "cid");
  const std::string usage =
      R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}})";
  std::string out;
  out.reserve(4096);
  ASSERT_EQ(t->on_event(sse::Event{{}, usage, {}}, out), EventResult::Continue);
  out.clear();
  AllocationWindow window;
  EXPECT_EQ(t->on_event(sse::Event{{}, usage, {}}, out), EventResult::Continue);
  EXPECT_EQ(t->on_event(sse::Event{{}, "[DONE]", {}}, out), EventResult::Done);
  EXPECT_EQ(window.count(), 0u);
}

TEST(TranslatorAllocation, LlamaCppAllocatesNothingPerShortToken) {
  auto t = make_stream_translator(Protocol::LlamaCpp, request(api::CompletionKind::Text), "cid");
  std::vector<std::string> tokens;
  for (int i = 0; i < 1007; ++i) {
    tokens.push_back(R"({"content":")" + std::string(1 + i % 7, 'x') +
                     R"(","stop":false,"id_slot":0,"multimodal":false,"index":0})");
  }
  std::string out;
  out.reserve(4096);
  // Warm-up covers every token length, so the buffers reach their steady-state size.
  for (std::size_t i = 0; i < 7; ++i) {
    out.clear();
    ASSERT_EQ(t->on_event(sse::Event{{}, tokens[i], {}}, out), EventResult::Continue);
  }
  std::size_t continues = 0;
  {
    AllocationWindow window;
    for (std::size_t i = 7; i < tokens.size(); ++i) {
      out.clear();
      continues += t->on_event(sse::Event{{}, tokens[i], {}}, out) == EventResult::Continue ? 1 : 0;
    }
    EXPECT_EQ(window.count(), 0u);
  }
  EXPECT_EQ(continues, 1000u);
  EXPECT_EQ(t->content_events(), 1007u);
}

TEST(TranslatorAllocation, LlamaCppAllocatesNothingPerLongToken) {
  // A chunk may carry more text than fits a std::string's small buffer (a long token, or several
  // tokens sent together); the steady-state promise covers those too.
  auto t = make_stream_translator(Protocol::LlamaCpp, request(api::CompletionKind::Text), "cid");
  const std::string token = R"({"content":"a_rather_long_identifier_name","stop":false})";
  std::string out;
  out.reserve(4096);
  for (int i = 0; i < 5; ++i) {
    out.clear();
    ASSERT_EQ(t->on_event(sse::Event{{}, token, {}}, out), EventResult::Continue);
  }
  AllocationWindow window;
  for (int i = 0; i < 100; ++i) {
    out.clear();
    ASSERT_EQ(t->on_event(sse::Event{{}, token, {}}, out), EventResult::Continue);
  }
  EXPECT_EQ(window.count(), 0u);
}

}  // namespace
}  // namespace sy::engines
