// Checks the steady-state promise of sy_sse: once buffers have grown, parsing and encoding allocate
// nothing. This file replaces the global operator new/delete for the whole sse_test executable to
// count allocations while a test's window is open.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>

#include "sse/sse_parser.hpp"
#include "sse/sse_writer.hpp"

namespace {

std::atomic<bool> g_counting{false};
std::atomic<std::size_t> g_allocations{0};

void* counted_alloc(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) { return counted_alloc(size); }
void* operator new[](std::size_t size) { return counted_alloc(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too (simdjson allocates with `new (std::nothrow) T[]`): every allocation and
// release must go through the same replaced pair, or a sanitizer rightly reports new[] vs free.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace sy::sse {
namespace {

// Counts allocations made while it is alive.
class AllocationWindow {
 public:
  AllocationWindow() {
    g_allocations = 0;
    g_counting = true;
  }
  ~AllocationWindow() { g_counting = false; }
  AllocationWindow(const AllocationWindow&) = delete;
  AllocationWindow& operator=(const AllocationWindow&) = delete;
  [[nodiscard]] std::size_t count() const { return g_allocations.load(); }
};

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
