#include "sse/sse_writer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "sse_test_support.hpp"

namespace sy::sse {
namespace {

using testing::OwnedEvent;
using testing::parse_chunks;

TEST(SseWriter, WritesSingleLineDataEvent) {
  std::string out;
  append_data_event(out, "{\"x\":1}");
  EXPECT_EQ(out, "data: {\"x\":1}\n\n");
}

TEST(SseWriter, WritesOneDataLinePerLine) {
  std::string out;
  append_data_event(out, "a\nb\r\nc\rd\n");
  EXPECT_EQ(out, "data: a\ndata: b\ndata: c\ndata: d\ndata: \n\n");
}

TEST(SseWriter, WritesEmptyDataAsOneEmptyLine) {
  std::string out;
  append_data_event(out, "");
  EXPECT_EQ(out, "data: \n\n");
}

TEST(SseWriter, AppendsWithoutTouchingExistingContent) {
  std::string out = "keep";
  append_done(out);
  append_comment(out, "ping");
  EXPECT_EQ(out, "keepdata: [DONE]\n\n: ping\n\n");
}

TEST(SseWriter, WritesNamedEventAndCutsNameAtLineBreak) {
  std::string out;
  append_named_event(out, "delta", "x");
  append_named_event(out, "bad\nevent: injected", "y");
  EXPECT_EQ(out, "event: delta\ndata: x\n\nevent: bad\ndata: y\n\n");
}

TEST(SseWriter, WritesMultiLineCommentAsCommentLines) {
  std::string out;
  append_comment(out, "a\nb");
  EXPECT_EQ(out, ": a\n: b\n\n");
}

// Replaces CR and CRLF by LF, which is what a parser gives back for data line breaks.
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

TEST(SseWriter, RoundTripsDataThroughParser) {
  const std::vector<std::string_view> samples = {
      "",       "a",      "a\nb",        "\n",
      "\n\n",   "a\r\nb", "a\rb",        "x\n",
      " lead",  ":colon", "data: inner", "h\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C \xF0\x9F\x8E\x89",
      "[DONE]", "\r\n\r", "event: x",    "id: 5",
  };
  for (const auto data : samples) {
    std::string out;
    append_data_event(out, data);
    append_named_event(out, "delta", data);
    append_comment(out, data);
    append_done(out);
    const auto run = parse_chunks({out});
    const std::string want = normalised_line_breaks(data);
    EXPECT_EQ(run.events,
              (std::vector<OwnedEvent>{{"", want, ""}, {"delta", want, ""}, {"", "[DONE]", ""}}))
        << "data '" << data << "'";
  }
}

TEST(SseWriter, CommentBlockDispatchesNoEvent) {
  std::string out;
  append_comment(out, "keep-alive");
  const auto run = parse_chunks({out});
  EXPECT_TRUE(run.events.empty());
  EXPECT_EQ(run.comment_lines, 1u);
}

}  // namespace
}  // namespace sy::sse
