#include "sse/sse_parser.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sse_test_support.hpp"

namespace sy::sse {
namespace {

using testing::OwnedEvent;
using testing::parse_chunks;
using testing::ParseRun;

// Every line-ending style, comments, multi-line data, event/id fields, unknown fields and UTF-8.
constexpr std::string_view kStream =
    ": opening comment\r\n"
    "data: first\n"
    ":\n"
    "\n"
    "event: delta\r\n"
    "id: 7\r\n"
    "data: h\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C \xF0\x9F\x8E\x89\r\n"  // "héllo 世界 🎉"
    "data:line two\r\n"
    "\r\n"
    ": keepalive\r"
    "\r"
    "data:  two spaces\r"
    "data\r"
    "data:\r"
    "\r"
    "event: only-event\n\n"
    "id: 8\n\n"
    "retry: 100\nfoo: bar\nDATA: x\ndata: after: unknown fields\n\n"
    "id\n"
    "data: \xF0\x9F\x8E\x89\xC3\xA9\rdata: end\r\n\r\n"
    "data: lf-then-cr\n\r"
    "data: cr-crlf\r\r\n"
    "data: never dispatched";

const std::vector<OwnedEvent>& expected_events() {
  static const std::vector<OwnedEvent> events = {
      {"", "first", ""},
      {"delta", "h\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C \xF0\x9F\x8E\x89\nline two", "7"},
      {"", " two spaces\n\n", "7"},
      {"only-event", "", "7"},
      {"", "after: unknown fields", "8"},
      {"", "\xF0\x9F\x8E\x89\xC3\xA9\nend", ""},
      {"", "lf-then-cr", ""},
      {"", "cr-crlf", ""},
  };
  return events;
}

ParseRun expected_run() { return ParseRun{expected_events(), ParseStatus::Ok, 3}; }

// Asserts that `stream` parses to `want` in one piece, split in two at every point, and byte by
// byte.
void expect_same_at_every_split(std::string_view stream, const ParseRun& want,
                                std::size_t max_event_bytes = std::size_t{1} << 20) {
  ASSERT_EQ(parse_chunks({stream}, max_event_bytes), want) << "one piece";
  for (std::size_t k = 0; k <= stream.size(); ++k) {
    ASSERT_EQ(parse_chunks({stream.substr(0, k), stream.substr(k)}, max_event_bytes), want)
        << "split at " << k;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.substr(i, 1));
  ASSERT_EQ(parse_chunks(bytes, max_event_bytes), want) << "byte by byte";
}

TEST(SseParser, ParsesMixedStreamInOnePiece) {
  const ParseRun run = parse_chunks({kStream});
  EXPECT_EQ(run.status, ParseStatus::Ok);
  EXPECT_EQ(run.comment_lines, 3u);
  EXPECT_EQ(run.events, expected_events());
}

TEST(SseParser, GivesSameEventsAtEveryTwoChunkSplitAndByteByByte) {
  expect_same_at_every_split(kStream, expected_run());
}

TEST(SseParser, GivesSameEventsAtEveryThreeChunkSplit) {
  const std::string_view s = kStream;
  const ParseRun want = expected_run();
  for (std::size_t i = 0; i <= s.size(); ++i) {
    for (std::size_t j = i; j <= s.size(); ++j) {
      ASSERT_EQ(parse_chunks({s.substr(0, i), s.substr(i, j - i), s.substr(j)}), want)
          << "splits at " << i << " and " << j;
    }
  }
}

TEST(SseParser, IgnoresEmptyChunks) {
  const std::string_view s = kStream;
  std::vector<std::string_view> chunks;
  for (std::size_t i = 0; i < s.size(); ++i) {
    chunks.push_back({});
    chunks.push_back(s.substr(i, 1));
  }
  chunks.push_back({});
  EXPECT_EQ(parse_chunks(chunks), expected_run());
}

TEST(SseParser, TreatsCrAtChunkEndAndLfAtNextStartAsOneLineEnding) {
  // Were the CR and LF two line endings, "data: a" would be dispatched alone at the LF.
  const ParseRun run = parse_chunks({"data: a\r", "\ndata: b\r\n\r\n"});
  EXPECT_EQ(run.events, (std::vector<OwnedEvent>{{"", "a\nb", ""}}));
}

TEST(SseParser, KeepsUtf8CharacterSplitAcrossReadsIntact) {
  const std::string_view emoji = "\xF0\x9F\x8E\x89";
  const ParseRun run = parse_chunks({"data: \xF0\x9F", "\x8E", "\x89!\n\n"});
  ASSERT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.events[0].data, std::string(emoji) + "!");
}

TEST(SseParser, SkipsLeadingBomEvenWhenSplit) {
  const std::string with_bom = "\xEF\xBB\xBF" + std::string(kStream);
  expect_same_at_every_split(with_bom, expected_run());
}

TEST(SseParser, SkipsOnlyTheFirstBom) {
  // The second BOM is part of the first field name, so that field is unknown.
  expect_same_at_every_split(
      "\xEF\xBB\xBF\xEF\xBB\xBF"
      "data: x\n\ndata: y\n\n",
      ParseRun{{{"", "y", ""}}, ParseStatus::Ok, 0});
  // A BOM later in the stream is not skipped either.
  expect_same_at_every_split(
      "data: x\n\n\xEF\xBB\xBF"
      "data: y\n\n",
      ParseRun{{{"", "x", ""}}, ParseStatus::Ok, 0});
}

TEST(SseParser, KeepsBytesOfAnIncompleteBomAsLineContent) {
  // EF BB followed by something else is not a BOM: those bytes start the first line.
  expect_same_at_every_split("\xEF\xBB: x\ndata: y\n\n",
                             ParseRun{{{"", "y", ""}}, ParseStatus::Ok, 0});
  expect_same_at_every_split("\xEF\xBB\n:c\n", ParseRun{{}, ParseStatus::Ok, 1});
}

TEST(SseParser, SkipsBomAgainAfterReset) {
  Parser parser;
  std::vector<std::string> data;
  auto collect = [&](const Event& e) { data.emplace_back(e.data); };
  EXPECT_EQ(parser.feed("\xEF\xBB\xBF"
                        "data: a\n\n",
                        collect),
            ParseStatus::Ok);
  parser.reset();
  EXPECT_EQ(parser.feed("\xEF\xBB", collect), ParseStatus::Ok);
  EXPECT_EQ(parser.feed("\xBF"
                        "data: b\n\n",
                        collect),
            ParseStatus::Ok);
  EXPECT_EQ(data, (std::vector<std::string>{"a", "b"}));
}

TEST(SseParser, DispatchesNothingForBlankLineAfterOnlyCommentsOrId) {
  const ParseRun run = parse_chunks({": a\n: b\n\n\n\nid: 3\n\n"});
  EXPECT_TRUE(run.events.empty());
  EXPECT_EQ(run.comment_lines, 2u);
}

TEST(SseParser, DoesNotDispatchEventWithoutFinalBlankLine) {
  EXPECT_TRUE(parse_chunks({"data: a\n"}).events.empty());
  EXPECT_TRUE(parse_chunks({"data: a"}).events.empty());
}

TEST(SseParser, ReportsIdOnLaterEventsUntilChanged) {
  const ParseRun run =
      parse_chunks({"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\nid:\ndata: d\n\n"});
  EXPECT_EQ(run.events, (std::vector<OwnedEvent>{
                            {"", "a", "1"}, {"", "b", "1"}, {"", "c", "2"}, {"", "d", ""}}));
}

TEST(SseParser, IgnoresIdContainingNul) {
  using namespace std::string_view_literals;
  const ParseRun run = parse_chunks({"id: 1\n\nid: 2\0x\ndata: c\n\n"sv});
  EXPECT_EQ(run.events, (std::vector<OwnedEvent>{{"", "c", "1"}}));
}

TEST(SseParser, StripsOnlyOneLeadingSpaceAndSplitsAtFirstColon) {
  const ParseRun run = parse_chunks({"event:   spaced\ndata:a: b :c\n\n"});
  EXPECT_EQ(run.events, (std::vector<OwnedEvent>{{"  spaced", "a: b :c", ""}}));
}

TEST(SseParser, AcceptsEventExactlyAtTheLimit) {
  // "data: 0123456789" is 16 bytes.
  expect_same_at_every_split("data: 0123456789\n\n",
                             ParseRun{{{"", "0123456789", ""}}, ParseStatus::Ok, 0}, 16);
}

TEST(SseParser, ReturnsEventTooLargeForALongLineAtEverySplit) {
  expect_same_at_every_split("data: ok\n\ndata: 01234567890\n\ndata: never\n\n",
                             ParseRun{{{"", "ok", ""}}, ParseStatus::EventTooLarge, 0}, 16);
}

TEST(SseParser, ReturnsEventTooLargeWhenDataLinesAddUpPastTheLimit) {
  // Held data "12345" (5) + the 11-byte line = 16 fits; the next line would make 11 + 11 > 16.
  expect_same_at_every_split("data: 12345\ndata: 12345\n\n",
                             ParseRun{{{"", "12345\n12345", ""}}, ParseStatus::Ok, 0}, 16);
  expect_same_at_every_split("data: 12345\ndata: 12345\ndata: 1\n\n",
                             ParseRun{{}, ParseStatus::EventTooLarge, 0}, 16);
}

TEST(SseParser, ReturnsEventTooLargeBeforeAnUnterminatedLineEnds) {
  Parser parser(8);
  int events = 0;
  auto count = [&](const Event&) { ++events; };
  EXPECT_EQ(parser.feed("data: 12", count), ParseStatus::Ok);
  EXPECT_EQ(parser.feed("3", count), ParseStatus::EventTooLarge);
  EXPECT_EQ(events, 0);
}

TEST(SseParser, StaysFailedUntilReset) {
  Parser parser(8);
  std::vector<std::string> data;
  auto collect = [&](const Event& e) { data.emplace_back(e.data); };
  EXPECT_EQ(parser.feed("data: 123456789\n\n", collect), ParseStatus::EventTooLarge);
  EXPECT_EQ(parser.feed("data: a\n\n", collect), ParseStatus::EventTooLarge);
  EXPECT_TRUE(data.empty());
  parser.reset();
  EXPECT_EQ(parser.feed("data: a\n\n", collect), ParseStatus::Ok);
  EXPECT_EQ(data, (std::vector<std::string>{"a"}));
}

TEST(SseParser, CountsCommentLinesAndResetClearsTheCount) {
  Parser parser;
  auto ignore = [](const Event&) {};
  EXPECT_EQ(parser.feed(": a\r\n:\r: b", ignore), ParseStatus::Ok);
  EXPECT_EQ(parser.comment_lines(), 2u);  // the third is not finished yet
  EXPECT_EQ(parser.feed("\n", ignore), ParseStatus::Ok);
  EXPECT_EQ(parser.comment_lines(), 3u);
  parser.reset();
  EXPECT_EQ(parser.comment_lines(), 0u);
}

TEST(SseParser, ResetDropsPartialLineAndPendingEvent) {
  Parser parser;
  std::vector<std::string> data;
  auto collect = [&](const Event& e) { data.emplace_back(e.data); };
  EXPECT_EQ(parser.feed("data: pending\ndata: part", collect), ParseStatus::Ok);
  parser.reset();
  EXPECT_EQ(parser.feed("data: fresh\n\n", collect), ParseStatus::Ok);
  EXPECT_EQ(data, (std::vector<std::string>{"fresh"}));
}

// The relay reads every engine into one buffer per thread and reuses it for the next read: an
// event held over from one chunk must not point into it.
TEST(SseParser, KeepsAPendingEventWhenTheChunkBufferIsReused) {
  Parser parser;
  std::vector<std::string> data;
  auto collect = [&](const Event& e) { data.emplace_back(e.data); };
  std::string buffer = "data: first\n\ndata: held over\n";
  EXPECT_EQ(parser.feed(buffer, collect), ParseStatus::Ok);
  buffer.assign(buffer.size(), '#');  // the next read overwrites the buffer
  buffer.replace(0, 1, "\n");
  EXPECT_EQ(parser.feed(std::string_view(buffer).substr(0, 1), collect), ParseStatus::Ok);
  EXPECT_EQ(data, (std::vector<std::string>{"first", "held over"}));
}

TEST(SseParser, JoinsASecondDataLineToOneHeldAsAView) {
  Parser parser;
  std::vector<std::string> data;
  auto collect = [&](const Event& e) { data.emplace_back(e.data); };
  std::string buffer = "data: one\n";
  EXPECT_EQ(parser.feed(buffer, collect), ParseStatus::Ok);
  buffer = "data: two\n\ndata: three\ndata: four\n\n";
  EXPECT_EQ(parser.feed(buffer, collect), ParseStatus::Ok);
  EXPECT_EQ(data, (std::vector<std::string>{"one\ntwo", "three\nfour"}));
}

TEST(SseParser, DispatchesAOneLineEventInsideTheChunkWithoutCopying) {
  Parser parser;
  const std::string chunk = "data: {\"x\":1}\n\ndata: a\ndata: b\n\n";
  std::vector<bool> inside_chunk;
  EXPECT_EQ(parser.feed(chunk,
                        [&](const Event& e) {
                          inside_chunk.push_back(e.data.data() >= chunk.data() &&
                                                 e.data.data() < chunk.data() + chunk.size());
                        }),
            ParseStatus::Ok);
  // The one-line event is a view of the chunk; the two-line one was joined in the parser.
  EXPECT_EQ(inside_chunk, (std::vector<bool>{true, false}));
}

TEST(SseParser, AnEventWhoseHandlerThrewIsFinished) {
  Parser parser;
  std::string buffer = "data: boom\n\n";
  EXPECT_THROW(parser.feed(buffer, [](const Event&) { throw std::runtime_error("handler"); }),
               std::runtime_error);
  buffer.assign(buffer.size(), '#');  // the read buffer is reused
  std::vector<std::string> data;
  EXPECT_EQ(parser.feed("data: next\n\n", [&](const Event& e) { data.emplace_back(e.data); }),
            ParseStatus::Ok);
  EXPECT_EQ(data, (std::vector<std::string>{"next"}));
}

}  // namespace
}  // namespace sy::sse
