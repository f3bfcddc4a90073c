#include "http/body_framer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace sy::http {
namespace {

using Status = BodyFramer::Status;

const char* status_name(Status s) {
  switch (s) {
    case Status::NeedMore:
      return "NeedMore";
    case Status::Done:
      return "Done";
    case Status::Error:
      return "Error";
  }
  return "?";
}

// What one body produced: the concatenated payload, the status of the last feed, and the bytes
// the framer left unconsumed (the rest of the last view plus any pieces never fed).
struct FeedRun {
  std::string payload;
  Status status = Status::NeedMore;
  std::string rest;
  bool operator==(const FeedRun&) const = default;
};

void PrintTo(const FeedRun& r, std::ostream* os) {
  *os << "{payload=\"" << r.payload << "\", status=" << status_name(r.status) << ", rest=\""
      << r.rest << "\"}";
}

using Start = std::function<void(BodyFramer&)>;

const Start kChunked = [](BodyFramer& f) { f.start_chunked(); };
Start length(std::uint64_t n) {
  return [n](BodyFramer& f) { f.start_length(n); };
}

// Feeds `pieces` in order to `framer`, stopping at the first status other than NeedMore. Checks
// on the way that every payload piece is a view into the bytes being fed (the framer does not
// copy) and that NeedMore always means the whole view was consumed.
FeedRun feed_pieces(BodyFramer& framer, const std::vector<std::string_view>& pieces) {
  FeedRun run;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const std::string_view fed = pieces[i];
    std::string_view in = fed;
    run.status = framer.feed(in, [&](std::string_view piece) {
      EXPECT_FALSE(piece.empty()) << "empty payload piece";
      EXPECT_TRUE(piece.data() >= fed.data() &&
                  piece.data() + piece.size() <= fed.data() + fed.size())
          << "payload piece is not a view into the input";
      run.payload.append(piece);
    });
    // The framer only ever removes bytes from the front.
    EXPECT_EQ(in.data() + in.size(), fed.data() + fed.size());
    if (run.status == Status::NeedMore) {
      EXPECT_TRUE(in.empty()) << "NeedMore with " << in.size() << " bytes left in the view";
      continue;
    }
    run.rest.assign(in);
    for (std::size_t j = i + 1; j < pieces.size(); ++j) run.rest.append(pieces[j]);
    return run;
  }
  return run;
}

FeedRun feed_pieces(const Start& start, const std::vector<std::string_view>& pieces) {
  BodyFramer framer;
  start(framer);
  return feed_pieces(framer, pieces);
}

std::vector<std::string_view> bytes_of(std::string_view s) {
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < s.size(); ++i) bytes.push_back(s.substr(i, 1));
  return bytes;
}

// Asserts that `wire` frames to `want` in one piece, split in two at every point, and fed one
// byte at a time.
void expect_same_at_every_split(const Start& start, std::string_view wire, const FeedRun& want) {
  ASSERT_EQ(feed_pieces(start, {wire}), want) << "one piece";
  for (std::size_t k = 0; k <= wire.size(); ++k) {
    ASSERT_EQ(feed_pieces(start, {wire.substr(0, k), wire.substr(k)}), want) << "split at " << k;
  }
  ASSERT_EQ(feed_pieces(start, bytes_of(wire)), want) << "byte by byte";
}

// --- chunked -------------------------------------------------------------------------------------

TEST(BodyFramer, ChunkedDeliversSeveralChunksInOneFeed) {
  EXPECT_EQ(feed_pieces(kChunked, {"5\r\nhello\r\n7\r\n, world\r\n1\r\n!\r\n0\r\n\r\n"}),
            (FeedRun{"hello, world!", Status::Done, ""}));
}

TEST(BodyFramer, ChunkedGivesSameResultAtEverySplitAndByteByByte) {
  expect_same_at_every_split(kChunked, "5\r\nhello\r\n7\r\n, world\r\n1\r\n!\r\n0\r\n\r\n",
                             FeedRun{"hello, world!", Status::Done, ""});
}

TEST(BodyFramer, ChunkedNeedsMoreUntilTheFinalEmptyLine) {
  // Every strict prefix of a complete body is incomplete; only the last LF finishes it.
  const std::string_view wire = "3\r\nabc\r\n0\r\n\r\n";
  for (std::size_t k = 0; k < wire.size(); ++k) {
    const FeedRun run = feed_pieces(kChunked, {wire.substr(0, k)});
    EXPECT_EQ(run.status, Status::NeedMore) << "prefix of " << k << " bytes";
    // The data bytes sit at offsets 3..5.
    const std::size_t data_seen = k <= 3 ? 0 : (k >= 6 ? 3 : k - 3);
    EXPECT_EQ(run.payload, std::string_view("abc").substr(0, data_seen)) << "prefix of " << k;
  }
}

TEST(BodyFramer, ChunkedIgnoresChunkExtensions) {
  expect_same_at_every_split(kChunked,
                             "5;foo=bar\r\nhello\r\n"
                             "3;a;b=\"x y\"\r\nabc\r\n"
                             "2 ;ws\r\nde\r\n"
                             "0;last=1\r\n\r\n",
                             FeedRun{"helloabcde", Status::Done, ""});
}

TEST(BodyFramer, ChunkedAcceptsUpperAndLowerCaseHex) {
  // 0xaB = 171 and 0x1f = 31: a wrong digit value would misalign the next size line.
  const std::string big(0xaB, 'x');
  const std::string small(0x1f, 'y');
  const std::string wire =
      "aB\r\n" + big + "\r\n1f\r\n" + small + "\r\nA\r\n0123456789\r\n0\r\n\r\n";
  expect_same_at_every_split(kChunked, wire, FeedRun{big + small + "0123456789", Status::Done, ""});
}

TEST(BodyFramer, ChunkedAcceptsLeadingZerosInSize) {
  // Leading zeros add no value, so they must not trip the overflow guard either.
  expect_same_at_every_split(kChunked, "00000000000000000000000005\r\nhello\r\n000\r\n\r\n",
                             FeedRun{"hello", Status::Done, ""});
}

TEST(BodyFramer, ChunkedSkipsTrailers) {
  expect_same_at_every_split(kChunked, "4\r\nbody\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n",
                             FeedRun{"body", Status::Done, ""});
}

TEST(BodyFramer, ChunkedDoesNotTreatTrailerBytesAsPayloadOrEnd) {
  // A trailer line that looks like a chunk must not be framed as one.
  expect_same_at_every_split(kChunked, "0\r\n5\r\nhello\r\n\r\n", FeedRun{"", Status::Done, ""});
}

TEST(BodyFramer, ChunkedAcceptsBareLfLineEnds) {
  expect_same_at_every_split(kChunked, "5\nhello\n3;ext\nabc\n0\nX-T: v\n\n",
                             FeedRun{"helloabc", Status::Done, ""});
}

TEST(BodyFramer, ChunkedAcceptsMixedCrlfAndLfLineEnds) {
  expect_same_at_every_split(kChunked, "5\r\nhello\n3\nabc\r\n0\nX-T: v\r\n\n",
                             FeedRun{"helloabc", Status::Done, ""});
}

TEST(BodyFramer, ChunkedLeavesBytesAfterTheLastChunkInTheInput) {
  // The next response on a kept-alive connection follows directly.
  expect_same_at_every_split(kChunked, "3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n",
                             FeedRun{"abc", Status::Done, "HTTP/1.1 200 OK\r\n"});
  expect_same_at_every_split(kChunked, "0\r\nT: 1\r\n\r\n\r\n", FeedRun{"", Status::Done, "\r\n"});
}

TEST(BodyFramer, FeedAfterDoneConsumesNothing) {
  BodyFramer framer;
  framer.start_chunked();
  std::string_view in = "0\r\n\r\n";
  ASSERT_EQ(framer.feed(in, [](std::string_view) {}), Status::Done);
  ASSERT_TRUE(in.empty());

  std::string_view more = "5\r\nhello\r\n0\r\n\r\n";
  bool called = false;
  EXPECT_EQ(framer.feed(more, [&](std::string_view) { called = true; }), Status::Done);
  EXPECT_EQ(more, "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_FALSE(called);
  std::string_view empty;
  EXPECT_EQ(framer.feed(empty, [](std::string_view) {}), Status::Done);
}

TEST(BodyFramer, ChunkedRejectsSizeLineWithoutDigits) {
  for (const std::string_view wire : {"\r\n", "\n", ";ext\r\n", " \r\n", ";\n"}) {
    EXPECT_EQ(feed_pieces(kChunked, {wire}).status, Status::Error) << "size line: " << wire;
  }
  // Also after a good chunk.
  EXPECT_EQ(feed_pieces(kChunked, {"1\r\na\r\n\r\n"}), (FeedRun{"a", Status::Error, ""}));
}

TEST(BodyFramer, ChunkedRejectsBadCharacterInSize) {
  for (const std::string_view wire : {"5x\r\n", "0x5\r\n", "-1\r\n", "g\r\n", "+5\r\n", "5:\r\n"}) {
    const FeedRun run = feed_pieces(kChunked, {wire});
    EXPECT_EQ(run.status, Status::Error) << "size line: " << wire;
    EXPECT_EQ(run.payload, "") << "size line: " << wire;
  }
}

TEST(BodyFramer, ChunkedStopsAtTheBadByteAndLeavesTheRest) {
  // Error is reported at the offending byte, without waiting for the end of the line.
  EXPECT_EQ(feed_pieces(kChunked, {"5z\r\nhello"}), (FeedRun{"", Status::Error, "\r\nhello"}));
}

TEST(BodyFramer, ChunkedRejectsCrWithoutLfAfterSize) {
  EXPECT_EQ(feed_pieces(kChunked, {"5\rhello\r\n"}).status, Status::Error);
  EXPECT_EQ(feed_pieces(kChunked, {"5;e\r\rhello\r\n"}).status, Status::Error);
}

TEST(BodyFramer, ChunkedRejectsSizeThatWouldOverflow) {
  // 2^64 would wrap to 0 and read as the last chunk; it must be an error instead.
  EXPECT_EQ(feed_pieces(kChunked, {"10000000000000000\r\n\r\n"}).status, Status::Error);
  EXPECT_EQ(feed_pieces(kChunked, {"FFFFFFFFFFFFFFFF\r\n"}).status, Status::Error);
  EXPECT_EQ(feed_pieces(kChunked, {"ffffffffffffffffffffffff\r\n"}).status, Status::Error);
  EXPECT_EQ(feed_pieces(kChunked, bytes_of("10000000000000000\r\n")).status, Status::Error);
}

TEST(BodyFramer, ChunkedAcceptsLargeSizeBelowTheLimit) {
  // 15 hex digits (2^60 - 1) fit: the framer waits for that much data.
  const FeedRun run = feed_pieces(kChunked, {"FFFFFFFFFFFFFFF\r\n", "abc", "def"});
  EXPECT_EQ(run, (FeedRun{"abcdef", Status::NeedMore, ""}));
}

TEST(BodyFramer, ChunkedRejectsMissingCrlfAfterData) {
  // Data longer than the announced size: the byte after the data must be CR or LF.
  EXPECT_EQ(feed_pieces(kChunked, {"3\r\nabcd\r\n0\r\n\r\n"}),
            (FeedRun{"abc", Status::Error, "\r\n0\r\n\r\n"}));
  // The next size line directly after the data.
  EXPECT_EQ(feed_pieces(kChunked, {"3\r\nabc3\r\ndef\r\n"}).status, Status::Error);
  // CR not followed by LF.
  EXPECT_EQ(feed_pieces(kChunked, {"3\r\nabc\rX"}), (FeedRun{"abc", Status::Error, ""}));
  EXPECT_EQ(feed_pieces(kChunked, {"3\r\nabc\r\r\n"}), (FeedRun{"abc", Status::Error, "\n"}));
  // Split across feeds too.
  EXPECT_EQ(feed_pieces(kChunked, bytes_of("3\r\nabcX0\r\n\r\n")),
            (FeedRun{"abc", Status::Error, "0\r\n\r\n"}));
}

TEST(BodyFramer, ChunkedRejectsCrWithoutLfInTrailers) {
  EXPECT_EQ(feed_pieces(kChunked, {"0\r\nX: y\rZ\r\n\r\n"}).status, Status::Error);
  EXPECT_EQ(feed_pieces(kChunked, {"0\r\n\rZ"}).status, Status::Error);
}

TEST(BodyFramer, ErrorIsStickyForFurtherBytes) {
  BodyFramer framer;
  framer.start_chunked();
  std::string_view bad = "zz";
  ASSERT_EQ(framer.feed(bad, [](std::string_view) {}), Status::Error);

  std::string_view good = "3\r\nabc\r\n0\r\n\r\n";
  bool called = false;
  EXPECT_EQ(framer.feed(good, [&](std::string_view) { called = true; }), Status::Error);
  EXPECT_EQ(good, "3\r\nabc\r\n0\r\n\r\n");
  EXPECT_FALSE(called);
}

TEST(BodyFramer, StartChunkedRecoversAfterError) {
  BodyFramer framer;
  framer.start_chunked();
  ASSERT_EQ(feed_pieces(framer, {"3\r\nabcX"}).status, Status::Error);
  framer.start_chunked();
  EXPECT_EQ(feed_pieces(framer, {"2\r\nok\r\n0\r\n\r\n"}), (FeedRun{"ok", Status::Done, ""}));
}

TEST(BodyFramer, StartChunkedForgetsAPartialSizeLine) {
  // Had the "1" survived the restart, the size would read as 0x13 and swallow the rest.
  BodyFramer framer;
  framer.start_chunked();
  ASSERT_EQ(feed_pieces(framer, {"1"}).status, Status::NeedMore);
  framer.start_chunked();
  EXPECT_EQ(feed_pieces(framer, {"3\r\nabc\r\n0\r\n\r\n"}), (FeedRun{"abc", Status::Done, ""}));
}

TEST(BodyFramer, StartChunkedForgetsAPartialTrailerLine) {
  // A restart mid-trailer must begin with a size line, not finish the old trailer.
  BodyFramer framer;
  framer.start_chunked();
  ASSERT_EQ(feed_pieces(framer, {"0\r\nX-T"}).status, Status::NeedMore);
  framer.start_chunked();
  EXPECT_EQ(feed_pieces(framer, {"1\r\nq\r\n0\r\n\r\n"}), (FeedRun{"q", Status::Done, ""}));
}

TEST(BodyFramer, FramesConsecutiveResponsesOnOneConnection) {
  // One framer per connection, restarted for each response, each with its own framing.
  BodyFramer framer;
  framer.start_chunked();
  EXPECT_EQ(feed_pieces(framer, {"2\r\nab\r\n0\r\n\r\n"}), (FeedRun{"ab", Status::Done, ""}));
  framer.start_length(3);
  EXPECT_EQ(feed_pieces(framer, {"xyzNEXT"}), (FeedRun{"xyz", Status::Done, "NEXT"}));
  framer.start_chunked();
  EXPECT_EQ(feed_pieces(framer, {"1\r\nc\r\n0\r\n\r\n"}), (FeedRun{"c", Status::Done, ""}));
}

// --- Content-Length ------------------------------------------------------------------------------

TEST(BodyFramer, LengthDeliversExactBody) {
  EXPECT_EQ(feed_pieces(length(5), {"hello"}), (FeedRun{"hello", Status::Done, ""}));
}

TEST(BodyFramer, LengthGivesSameResultAtEverySplitAndByteByByte) {
  expect_same_at_every_split(length(11), "hello world", FeedRun{"hello world", Status::Done, ""});
}

TEST(BodyFramer, LengthLeavesExtraBytesInTheInput) {
  expect_same_at_every_split(length(5), "helloHTTP/1.1 200 OK\r\n",
                             FeedRun{"hello", Status::Done, "HTTP/1.1 200 OK\r\n"});
}

TEST(BodyFramer, LengthNeedsMoreUntilTheLengthIsReached) {
  EXPECT_EQ(feed_pieces(length(10), {"hel", "lo"}), (FeedRun{"hello", Status::NeedMore, ""}));
}

TEST(BodyFramer, LengthDoesNotInterpretChunkSyntax) {
  expect_same_at_every_split(length(5), "0\r\n\r\n", FeedRun{"0\r\n\r\n", Status::Done, ""});
}

TEST(BodyFramer, LengthZeroIsDoneWithoutPayload) {
  BodyFramer framer;
  framer.start_length(0);
  std::string_view empty;
  EXPECT_EQ(framer.feed(empty, [](std::string_view) { ADD_FAILURE() << "payload"; }), Status::Done);
  std::string_view next = "HTTP/1.1 200 OK\r\n";
  EXPECT_EQ(framer.feed(next, [](std::string_view) { ADD_FAILURE() << "payload"; }), Status::Done);
  EXPECT_EQ(next, "HTTP/1.1 200 OK\r\n");
}

// --- until close ---------------------------------------------------------------------------------

TEST(BodyFramer, UntilCloseTakesEverythingAsPayload) {
  BodyFramer framer;
  framer.start_until_close();
  std::string payload;
  for (const std::string_view piece : {"0\r\n\r\n", "", "HTTP/1.1 200 OK\r\n", "x"}) {
    std::string_view in = piece;
    EXPECT_EQ(framer.feed(in, [&](std::string_view p) { payload.append(p); }), Status::NeedMore);
    EXPECT_TRUE(in.empty());
    EXPECT_TRUE(framer.ends_at_close());
  }
  EXPECT_EQ(payload, "0\r\n\r\nHTTP/1.1 200 OK\r\nx");
}

TEST(BodyFramer, EndsAtCloseOnlyForUntilCloseBodies) {
  BodyFramer framer;
  EXPECT_FALSE(framer.ends_at_close());
  framer.start_until_close();
  EXPECT_TRUE(framer.ends_at_close());
  framer.start_chunked();
  EXPECT_FALSE(framer.ends_at_close());
  framer.start_until_close();
  framer.start_length(10);
  EXPECT_FALSE(framer.ends_at_close());
  framer.start_until_close();
  framer.start_length(0);
  EXPECT_FALSE(framer.ends_at_close());
}

TEST(BodyFramer, EndsAtCloseIsFalseForUnfinishedChunkedOrLengthBodies) {
  // A close in the middle of these bodies truncates them; the caller must not call it complete.
  BodyFramer framer;
  framer.start_chunked();
  ASSERT_EQ(feed_pieces(framer, {"5\r\nhel"}).status, Status::NeedMore);
  EXPECT_FALSE(framer.ends_at_close());
  framer.start_length(5);
  ASSERT_EQ(feed_pieces(framer, {"hel"}).status, Status::NeedMore);
  EXPECT_FALSE(framer.ends_at_close());
}

}  // namespace
}  // namespace sy::http
