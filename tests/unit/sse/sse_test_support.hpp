#pragma once
// Test helpers for the SSE parser: owned copies of events and a one-call "parse these chunks".

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sse/sse_parser.hpp"

namespace sy::sse::testing {

struct OwnedEvent {
  std::string event;
  std::string data;
  std::string id;
  bool operator==(const OwnedEvent&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const OwnedEvent& e) {
  return os << "{event='" << e.event << "' data='" << e.data << "' id='" << e.id << "'}";
}

struct ParseRun {
  std::vector<OwnedEvent> events;
  ParseStatus status = ParseStatus::Ok;
  std::uint64_t comment_lines = 0;
  bool operator==(const ParseRun&) const = default;
};

// Feeds `chunks` in order to a fresh parser, stopping at the first EventTooLarge.
inline ParseRun parse_chunks(const std::vector<std::string_view>& chunks,
                             std::size_t max_event_bytes = std::size_t{1} << 20) {
  Parser parser(max_event_bytes);
  ParseRun run;
  for (const auto chunk : chunks) {
    run.status = parser.feed(chunk, [&](const Event& e) {
      run.events.push_back(
          OwnedEvent{std::string(e.event), std::string(e.data), std::string(e.id)});
    });
    if (run.status != ParseStatus::Ok) break;
  }
  run.comment_lines = parser.comment_lines();
  return run;
}

}  // namespace sy::sse::testing
