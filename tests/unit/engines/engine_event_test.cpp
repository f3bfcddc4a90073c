// EngineEvent and EventTally: what counts as a token, and the engine's own usage winning once
// reported. Fed by the OpenAI adapter, as the relay feeds it.

#include "engines/engine_event.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "engines/openai_adapter.hpp"
#include "sse/sse_parser.hpp"

namespace sy::engines {
namespace {

EngineEvent openai(std::string_view data) { return decode_openai_event(sse::Event{{}, data, {}}); }

TEST(EngineEvent, HasTextOnlyForANonEmptyStringToken) {
  EngineEvent ev;
  EXPECT_FALSE(ev.has_text());
  ev.text = R"("")";
  EXPECT_FALSE(ev.has_text());
  ev.text = R"("a")";
  EXPECT_TRUE(ev.has_text());
}

TEST(EventTally, CountsOnlyContentBearingEvents) {
  EventTally tally;
  for (std::string_view e : {
           R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",  // no
           R"({"choices":[{"index":0,"delta":{"content":"Hel"}}]})",
           R"({"choices":[{"index":0,"delta":{"content":""}}]})",  // no
           R"({"choices":[{"index":0,"delta":{"content":"lo"}}]})",
           R"({"choices":[{"index":0,"delta":{"content":null,"tool_calls":[]}}]})",  // no
           R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})",         // no
           R"({"error":{"message":"content","content":"x"}})",                       // no
       }) {
    tally.count(openai(e));
  }
  EXPECT_EQ(tally.content_events(), 2u);
  EXPECT_EQ(tally.tokens_out(), 2u);
  EXPECT_EQ(tally.prompt_tokens(), 0u);
}

TEST(EventTally, CountsTextCompletionChunks) {
  EventTally tally;
  tally.count(openai(R"({"choices":[{"text":"a","index":0}]})"));
  tally.count(openai(R"({"choices":[{"text":"","index":0,"finish_reason":"length"}]})"));
  EXPECT_EQ(tally.content_events(), 1u);
}

TEST(EventTally, PrefersUsageCountsWhenReported) {
  EventTally tally;
  for (int i = 0; i < 3; ++i) {
    tally.count(openai(R"({"choices":[{"delta":{"content":"x"}}],"usage":null})"));
  }
  EXPECT_EQ(tally.tokens_out(), 3u);
  EXPECT_EQ(tally.prompt_tokens(), 0u);
  tally.count(openai(R"({"choices":[],"usage":{"prompt_tokens_details":{"cached_tokens":4},)"
                     R"("prompt_tokens":12,"completion_tokens":7,"total_tokens":19,)"
                     R"("completion_tokens_details":{"reasoning_tokens":2}}})"));
  EXPECT_EQ(tally.tokens_out(), 7u);
  EXPECT_EQ(tally.prompt_tokens(), 12u);
  EXPECT_EQ(tally.content_events(), 3u);
}

TEST(EventTally, ZeroCountsDoNotOverrideEarlierOnes) {
  EventTally tally;
  tally.take(TokenUsage{5, 9, true});
  tally.take(TokenUsage{0, 0, true});
  EXPECT_EQ(tally.tokens_out(), 9u);
  EXPECT_EQ(tally.prompt_tokens(), 5u);
  tally.take(TokenUsage{6, 10, false});  // not reported: ignored
  EXPECT_EQ(tally.tokens_out(), 9u);
  EXPECT_EQ(tally.prompt_tokens(), 5u);
}

}  // namespace
}  // namespace sy::engines
