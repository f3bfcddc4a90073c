// Checks the steady-state promise of sy_sse: once buffers have grown, parsing and encoding allocate
// nothing. The sse_test executable links tests/testutil/counting_allocator.cpp, which counts
// allocations while a test's AllocationWindow is open.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "sse/sse_parser.hpp"
#include "sse/sse_writer.hpp"
#include "testutil/allocation_window.hpp"

namespace sy::sse {
namespace {

using testutil::AllocationWindow;

// The window must see allocations at all, or every "allocates nothing" below would pass vacuously
// (e.g. if the counting allocator were not linked).
TEST(SseAllocation, WindowCountsRealAllocations) {
  AllocationWindow window;
  auto p = std::make_unique<std::string>(100, 'x');
  EXPECT_GE(window.count(), 1u);
}

std::string make_stream() {
  std::string s;
  for (int i = 0; i < 200; ++i) {
    append_comment(s, "keep-alive");
    append_named_event(s, "delta", "{\"choices\":[{\"delta\":{\"content\":\"tok\"}}]}");
    append_data_event(s, "line one\nline two with more text");
  }
  append_done(s);
  return s;
}

TEST(SseAllocation, ParserAllocatesNothingInSteadyState) {
  const std::string stream = make_stream();
  Parser parser;
  std::size_t events = 0;
  std::size_t bytes = 0;
  auto on_event = [&](const Event& e) {
    ++events;
    bytes += e.data.size();
  };
  // Warm-up: buffers grow to the largest line and event, split at an awkward point.
  ASSERT_EQ(parser.feed(std::string_view(stream).substr(0, 37), on_event), ParseStatus::Ok);
  ASSERT_EQ(parser.feed(std::string_view(stream).substr(37), on_event), ParseStatus::Ok);
  parser.reset();
  events = 0;

  AllocationWindow window;
  for (std::size_t i = 0; i < stream.size(); i += 7) {
    ASSERT_EQ(parser.feed(std::string_view(stream).substr(i, 7), on_event), ParseStatus::Ok);
  }
  EXPECT_EQ(window.count(), 0u);
  EXPECT_EQ(events, 401u);
  EXPECT_GT(bytes, 0u);
}

TEST(SseAllocation, WriterAllocatesNothingWhenCapacitySuffices) {
  std::string out;
  out.reserve(4096);
  AllocationWindow window;
  for (int i = 0; i < 10; ++i) {
    out.clear();
    append_data_event(out, "one\ntwo");
    append_named_event(out, "delta", "x");
    append_comment(out, "ping");
    append_done(out);
  }
  EXPECT_EQ(window.count(), 0u);
}

}  // namespace
}  // namespace sy::sse
