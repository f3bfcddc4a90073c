// parse_rfc3339 and request_deadline: the X-Deadline / X-Timeout-Ms headers.

#include "api/deadline.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string_view>

namespace sy::api {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using SysTime = system_clock::time_point;

SysTime utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return SysTime(sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s));
}

const TimePoint kSteadyNow = TimePoint(seconds(5000));
const SysTime kWallNow = utc(2026, 1, 1, 12, 0, 0);

// What is forwarded to engines as X-Deadline reads back as the same instant (to the ms).
TEST(FormatRfc3339, WritesUtcWithMillisecondsAndReadsBack) {
  using namespace std::chrono;
  const auto at =
      sys_days{year{2026} / 12 / 7} + hours(23) + minutes(5) + seconds(9) + milliseconds(42);
  EXPECT_EQ(format_rfc3339(at), "2026-12-07T23:05:09.042Z");
  EXPECT_EQ(format_rfc3339(sys_days{year{1999} / 12 / 31} + hours(23) + minutes(59) + seconds(59) +
                           milliseconds(999) + microseconds(700)),
            "1999-12-31T23:59:59.999Z");
  for (std::int64_t ms : {0LL, 1LL, 86'399'999LL, 1'765'148'709'042LL, 4'102'444'800'000LL}) {
    const system_clock::time_point t{milliseconds(ms)};
    const auto back = parse_rfc3339(format_rfc3339(t));
    ASSERT_TRUE(back) << format_rfc3339(t);
    EXPECT_EQ(floor<milliseconds>(*back), floor<milliseconds>(t)) << format_rfc3339(t);
  }
}

TEST(ParseRfc3339, ParsesUtcWithZ) {
  const auto t = parse_rfc3339("2026-11-23T10:15:30Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, utc(2026, 11, 23, 10, 15, 30));
}

TEST(ParseRfc3339, AcceptsLowercaseSeparatorsAndSpace) {
  EXPECT_EQ(parse_rfc3339("2026-11-23t10:15:30z"), utc(2026, 11, 23, 10, 15, 30));
  EXPECT_EQ(parse_rfc3339("2026-11-23 10:15:30Z"), utc(2026, 11, 23, 10, 15, 30));
}

TEST(ParseRfc3339, AppliesPositiveAndNegativeOffsets) {
  EXPECT_EQ(parse_rfc3339("2026-11-23T10:15:30+01:00"), utc(2026, 11, 23, 9, 15, 30));
  EXPECT_EQ(parse_rfc3339("2026-11-23T10:15:30-05:30"), utc(2026, 11, 23, 15, 45, 30));
  EXPECT_EQ(parse_rfc3339("2026-11-23T10:15:30+00:00"), utc(2026, 11, 23, 10, 15, 30));
  EXPECT_EQ(parse_rfc3339("2026-11-23T10:15:30-00:00"), utc(2026, 11, 23, 10, 15, 30));
}

TEST(ParseRfc3339, CrossesDayAndYearBoundariesWithOffsets) {
  EXPECT_EQ(parse_rfc3339("2026-01-01T00:30:00+01:00"), utc(2025, 12, 31, 23, 30, 0));
  EXPECT_EQ(parse_rfc3339("2025-12-31T23:30:00-02:00"), utc(2026, 1, 1, 1, 30, 0));
}

TEST(ParseRfc3339, ReadsFractionalSeconds) {
  const SysTime base = utc(2026, 11, 23, 10, 15, 30);
  EXPECT_EQ(parse_rfc3339("2026-11-23T10:15:30.250Z"), base + 250ms);
  EXPECT_EQ(parse_rfc3339("2026-11-23T10:15:30.5Z"), base + 500ms);
  EXPECT_EQ(parse_rfc3339("2026-11-23T10:15:30.000001Z"), base + 1us);
  EXPECT_EQ(parse_rfc3339("2026-11-23T10:15:30.123456789Z"), base + 123456789ns);
  EXPECT_EQ(parse_rfc3339("2026-11-23T10:15:30.250+01:00"), base - 1h + 250ms);
}

TEST(ParseRfc3339, IgnoresDigitsBeyondNanoseconds) {
  EXPECT_EQ(parse_rfc3339("2026-11-23T10:15:30.1234567899999Z"),
            parse_rfc3339("2026-11-23T10:15:30.123456789Z"));
}

TEST(ParseRfc3339, AcceptsLeapDay) {
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), utc(2024, 2, 29));
  EXPECT_EQ(parse_rfc3339("2000-02-29T00:00:00Z"), utc(2000, 2, 29));
}

TEST(ParseRfc3339, RejectsImpossibleDates) {
  for (std::string_view s : {"2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
                             "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
                             "2026-11-00T00:00:00Z", "2026-11-32T00:00:00Z"}) {
    EXPECT_FALSE(parse_rfc3339(s).has_value()) << s;
  }
}

TEST(ParseRfc3339, RejectsImpossibleTimes) {
  for (std::string_view s : {"2026-11-23T24:00:00Z", "2026-11-23T10:60:00Z", "2026-11-23T10:15:61Z",
                             "2026-11-23T99:99:99Z"}) {
    EXPECT_FALSE(parse_rfc3339(s).has_value()) << s;
  }
}

TEST(ParseRfc3339, RejectsMalformedText) {
  for (std::string_view s : {"",
                             "2026-11-23",
                             "2026-11-23T10:15:30",
                             "2026-11-23T10:15Z",
                             "2026-11-23T10:15:30.Z",
                             "2026-11-23T10:15:30,5Z",
                             "2026-11-23T10:15:30+0100",
                             "2026-11-23T10:15:30+01",
                             "2026-11-23T10:15:30+1:00",
                             "2026-11-23T10:15:30+01:0",
                             "2026-11-23T10:15:30ZZ",
                             "2026-11-23T10:15:30Z ",
                             " 2026-11-23T10:15:30Z",
                             "2026/11/23T10:15:30Z",
                             "2026-11-23X10:15:30Z",
                             "2026-11-23T10-15-30Z",
                             "26-11-23T10:15:30Z",
                             "2026-1-23T10:15:30Z",
                             "2026-11-23T10:15:30UTC",
                             "2026-11-23T1a:15:30Z",
                             "tomorrow please!!!!!",
                             "1764000000"}) {
    EXPECT_FALSE(parse_rfc3339(s).has_value()) << s;
  }
}

TEST(ParseRfc3339, RejectsOffsetsOutOfRange) {
  // RFC 3339 time-numoffset: hours 00-23, minutes 00-59.
  EXPECT_FALSE(parse_rfc3339("2026-11-23T10:15:30+24:00").has_value());
  EXPECT_FALSE(parse_rfc3339("2026-11-23T10:15:30+01:60").has_value());
  EXPECT_FALSE(parse_rfc3339("2026-11-23T10:15:30-99:99").has_value());
  EXPECT_TRUE(parse_rfc3339("2026-11-23T10:15:30+23:59").has_value());
}

TEST(RequestDeadline, IsUnboundedWithoutHeaders) {
  const auto d = request_deadline("", "", kSteadyNow, kWallNow);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, TimePoint::max());
}

TEST(RequestDeadline, AddsTimeoutToSteadyNow) {
  auto d = request_deadline("", "1500", kSteadyNow, kWallNow);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(*d, kSteadyNow + 1500ms);
  d = request_deadline("", "0", kSteadyNow, kWallNow);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(*d, kSteadyNow);
}

TEST(RequestDeadline, AcceptsTimeoutOfOneYear) {
  const auto d = request_deadline("", "31536000000", kSteadyNow, kWallNow);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(*d, kSteadyNow + 31536000000ms);
}

TEST(RequestDeadline, MapsWallDeadlineOntoSteadyClock) {
  auto d = request_deadline("2026-01-01T12:00:10Z", "", kSteadyNow, kWallNow);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(*d, kSteadyNow + 10s);
  d = request_deadline("2026-01-01T13:00:00.250+01:00", "", kSteadyNow, kWallNow);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(*d, kSteadyNow + 250ms);
}

TEST(RequestDeadline, AllowsDeadlineAlreadyPassed) {
  const auto d = request_deadline("2026-01-01T11:59:55Z", "", kSteadyNow, kWallNow);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(*d, kSteadyNow - 5s);
}

TEST(RequestDeadline, TakesTheEarlierOfBoth) {
  auto d = request_deadline("2026-01-01T12:00:10Z", "5000", kSteadyNow, kWallNow);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(*d, kSteadyNow + 5s);
  d = request_deadline("2026-01-01T12:00:10Z", "20000", kSteadyNow, kWallNow);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(*d, kSteadyNow + 10s);
}

TEST(RequestDeadline, RejectsBadTimeoutNamingTheHeader) {
  for (std::string_view v : {"abc", "-1", "+5", "1.5", "10ms", " 10", "10 ", "0x10", "31536000001",
                             "99999999999999999999999"}) {
    const auto d = request_deadline("", v, kSteadyNow, kWallNow);
    ASSERT_FALSE(d.has_value()) << v;
    EXPECT_EQ(d.error().code, ErrorCode::InvalidParams) << v;
    EXPECT_EQ(d.error().param, "X-Timeout-Ms") << v;
  }
}

TEST(RequestDeadline, RejectsBadDeadlineNamingTheHeader) {
  for (std::string_view v : {"tomorrow", "2026-02-30T00:00:00Z", "2026-01-01T12:00:10"}) {
    const auto d = request_deadline(v, "", kSteadyNow, kWallNow);
    ASSERT_FALSE(d.has_value()) << v;
    EXPECT_EQ(d.error().code, ErrorCode::InvalidParams) << v;
    EXPECT_EQ(d.error().param, "X-Deadline") << v;
  }
}

TEST(RequestDeadline, RejectsBadDeadlineEvenWithGoodTimeout) {
  const auto d = request_deadline("not-a-time", "1000", kSteadyNow, kWallNow);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().param, "X-Deadline");
}

TEST(RequestDeadline, RejectsBadTimeoutEvenWithGoodDeadline) {
  const auto d = request_deadline("2026-01-01T12:00:10Z", "soon", kSteadyNow, kWallNow);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().param, "X-Timeout-Ms");
}

TEST(RequestDeadline, DoesNotTurnFarFutureDeadlineIntoThePast) {
  // Year 9999 is beyond what int64 nanoseconds since 1970 can hold (about year 2262). Whatever the
  // parser does with it (reject it, or clamp it), the request must not be born expired.
  for (std::string_view v : {"9999-12-31T23:59:59Z", "2500-01-01T00:00:00Z"}) {
    const auto d = request_deadline(v, "", kSteadyNow, kWallNow);
    if (d.has_value()) {
      EXPECT_GT(*d, kSteadyNow + hours(24 * 365))
          << v << " gave a deadline " << duration_cast<hours>(*d - kSteadyNow).count()
          << " h from now";
    } else {
      EXPECT_EQ(d.error().param, "X-Deadline") << v;
    }
  }
}

TEST(ParseRfc3339, ReadsYearsBefore1900As1900) {
  // int64 nanoseconds since 1970 cannot hold them (before 1677 the conversion overflowed).
  for (std::string_view s :
       {"0000-01-01T00:00:00Z", "1000-06-15T12:00:00+05:00", "1899-12-31T23:59:59.999Z"}) {
    EXPECT_EQ(parse_rfc3339(s), utc(1900, 1, 1)) << s;
  }
  EXPECT_FALSE(parse_rfc3339("1000-02-30T00:00:00Z").has_value());
  EXPECT_FALSE(parse_rfc3339("1000-01-01T00:00:00").has_value());
}

TEST(RequestDeadline, FarPastDeadlineHasPassed) {
  const auto d = request_deadline("1000-01-01T00:00:00Z", "", kSteadyNow, kWallNow);
  ASSERT_TRUE(d.has_value());
  EXPECT_LT(*d, kSteadyNow);
}

}  // namespace
}  // namespace sy::api
