// libFuzzer target for sse::Parser. Built by the `fuzz` preset (scripts/build.sh fuzz
// sse_parser_fuzz) and run over tests/fuzz/corpus/sse_parser by scripts/fuzz.sh and ctest; see
// docs/fuzzing.md.
//
// Input layout: byte 0 and 1 pick the split point, byte 2 picks the event-size limit, the rest is
// the stream. Properties checked:
//   1. Two chunks split anywhere give the same events, status and comment count as one piece.
//   2. Byte-by-byte feeding (for short inputs) gives the same too.
//   3. The stream encoded as data by the writer parses back to exactly that data (CR and CRLF
//      normalised to LF), and append_comment adds no event.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sse/sse_parser.hpp"
#include "sse/sse_writer.hpp"

namespace {

struct OwnedEvent {
  std::string event;
  std::string data;
  std::string id;
  bool operator==(const OwnedEvent&) const = default;
};

struct ParseRun {
  std::vector<OwnedEvent> events;
  sy::sse::ParseStatus status = sy::sse::ParseStatus::Ok;
  std::uint64_t comment_lines = 0;
  bool operator==(const ParseRun&) const = default;
};

ParseRun parse_chunks(const std::vector<std::string_view>& chunks, std::size_t limit) {
  sy::sse::Parser parser(limit);
  ParseRun run;
  for (const auto chunk : chunks) {
    run.status = parser.feed(chunk, [&](const sy::sse::Event& e) {
      run.events.push_back(
          OwnedEvent{std::string(e.event), std::string(e.data), std::string(e.id)});
    });
    if (run.status != sy::sse::ParseStatus::Ok) break;
  }
  run.comment_lines = parser.comment_lines();
  return run;
}

std::string normalised_line_breaks(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::size_t split_seed = data[0] | (std::size_t{data[1]} << 8);
  const std::size_t limits[] = {1, 8, 64, 1024, std::size_t{1} << 20};
  const std::size_t limit = limits[data[2] % 5];
  const std::string_view stream(reinterpret_cast<const char*>(data + 3), size - 3);

  const ParseRun whole = parse_chunks({stream}, limit);

  const std::size_t k = split_seed % (stream.size() + 1);
  check(parse_chunks({stream.substr(0, k), stream.substr(k)}, limit) == whole);

  if (stream.size() <= 512) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.substr(i, 1));
    check(parse_chunks(bytes, limit) == whole);
  }

  std::string encoded;
  sy::sse::append_comment(encoded, stream);
  sy::sse::append_data_event(encoded, stream);
  const ParseRun round_trip = parse_chunks({encoded}, std::size_t{1} << 30);
  check(round_trip.status == sy::sse::ParseStatus::Ok);
  check(round_trip.events.size() == 1);
  check(round_trip.events[0].data == normalised_line_breaks(stream));
  check(round_trip.events[0].event.empty());
  return 0;
}
