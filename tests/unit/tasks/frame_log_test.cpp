// FrameLog: frames as SSE bytes with increasing ids; a follower reading after any id gets exactly
// the frames it missed, or Gone when they were dropped; the byte and count bounds hold, the
// newest frame is always kept, and nothing is appended after the end.

#include "tasks/frame_log.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace sy::tasks {
namespace {

std::string frame(std::uint64_t id, std::string_view event, std::string_view data) {
  return "id: " + std::to_string(id) + "\nevent: " + std::string(event) +
         "\ndata: " + std::string(data) + "\n\n";
}

TEST(FrameLog, FramesAreSseWithIdsFromOne) {
  FrameLog log({});
  EXPECT_EQ(log.last_id(), 0u);
  EXPECT_EQ(log.first_id(), 0u);
  EXPECT_EQ(log.append("started", R"({"queue_position":0})"), 1u);
  EXPECT_EQ(log.append("token", R"({"t":"Hi","i":0})"), 2u);
  std::string out;
  ASSERT_EQ(log.read_after(0, out), FrameLog::Read::Ok);
  EXPECT_EQ(out, frame(1, "started", R"({"queue_position":0})") +
                     frame(2, "token", R"({"t":"Hi","i":0})"));
  out.clear();
  ASSERT_EQ(log.read_after(1, out), FrameLog::Read::Ok);
  EXPECT_EQ(out, frame(2, "token", R"({"t":"Hi","i":0})"));
  out.clear();
  ASSERT_EQ(log.read_after(2, out), FrameLog::Read::Ok);
  EXPECT_EQ(out, "");
  ASSERT_EQ(log.read_after(99, out), FrameLog::Read::Ok);  // ahead of the log: nothing yet
  EXPECT_EQ(out, "");
}

TEST(FrameLog, ResumingFromEveryIdGivesExactlyTheMissedFrames) {
  FrameLog log({});
  std::string all;
  for (std::uint64_t i = 1; i <= 50; ++i) {
    const std::string data =
        R"({"t":"w)" + std::to_string(i) + R"(","i":)" + std::to_string(i) + "}";
    ASSERT_EQ(log.append("token", data), i);
    all += frame(i, "token", data);
  }
  for (std::uint64_t after = 0; after <= 50; ++after) {
    std::string out;
    ASSERT_EQ(log.read_after(after, out), FrameLog::Read::Ok);
    const std::size_t cut = after == 0 ? 0 : all.find("id: " + std::to_string(after + 1) + "\n");
    EXPECT_EQ(out, after == 50 ? std::string() : all.substr(cut)) << "after " << after;
  }
}

TEST(FrameLog, CountBoundDropsTheOldestAndReportsGone) {
  FrameLog log({.max_frames = 10, .max_bytes = 1 << 20});
  for (int i = 0; i < 25; ++i) log.append("token", "{}");
  EXPECT_EQ(log.frames(), 10u);
  EXPECT_EQ(log.first_id(), 16u);
  EXPECT_EQ(log.last_id(), 25u);
  std::string out;
  EXPECT_EQ(log.read_after(14, out), FrameLog::Read::Gone);  // frame 15 was dropped
  EXPECT_EQ(out, "");
  EXPECT_EQ(log.read_after(15, out), FrameLog::Read::Ok);
  EXPECT_EQ(out.substr(0, 8), "id: 16\ne");
  EXPECT_EQ(log.read_after(0, out), FrameLog::Read::Gone);
}

TEST(FrameLog, ByteBoundHoldsAndTheNewestFrameIsAlwaysKept) {
  FrameLog log({.max_frames = 1000, .max_bytes = 200});
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    log.append("token", std::string(rng() % 60, 'x'));
    EXPECT_TRUE(log.bytes() <= 200 || log.frames() == 1);
  }
  const std::string huge(5000, 'y');
  const std::uint64_t id = log.append("token", huge);
  EXPECT_EQ(log.frames(), 1u);  // over the bound alone, but kept
  std::string out;
  ASSERT_EQ(log.read_after(id - 1, out), FrameLog::Read::Ok);
  EXPECT_EQ(out, frame(id, "token", huge));
  // Dropped bytes are compacted away: the buffer does not grow with the number of appends.
  EXPECT_LT(log.footprint(), 64u * 1024u);
}

TEST(FrameLog, EndingCompactsWithoutChangingWhatIsRead) {
  FrameLog log({.max_frames = 20, .max_bytes = 1 << 20});
  for (int i = 0; i < 57; ++i) log.append("token", R"({"t":"abc","i":1})");
  std::string before;
  ASSERT_EQ(log.read_after(40, before), FrameLog::Read::Ok);
  const std::size_t footprint = log.footprint();
  log.append("end", R"({"tokens_out":57})");
  log.end();
  std::string after;
  ASSERT_EQ(log.read_after(40, after), FrameLog::Read::Ok);
  EXPECT_EQ(after.substr(0, before.size()), before);
  EXPECT_EQ(log.first_id(), 39u);
  EXPECT_EQ(log.last_id(), 58u);
  EXPECT_EQ(log.read_after(37, after), FrameLog::Read::Gone);
  EXPECT_LE(log.footprint(), footprint);
  EXPECT_LE(log.footprint(), log.bytes() + log.frames() * sizeof(std::size_t) + 64);
}

TEST(FrameLog, NothingIsAppendedAfterTheEnd) {
  FrameLog log({});
  log.append("token", "{}");
  log.append("end", R"({"tokens_out":1})");
  log.end();
  EXPECT_TRUE(log.ended());
  EXPECT_EQ(log.append("token", "{}"), 0u);
  EXPECT_EQ(log.last_id(), 2u);
}

}  // namespace
}  // namespace sy::tasks
