#include "admission/drain_rate.hpp"

#include <gtest/gtest.h>

namespace sy::admission {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint t0 = TimePoint{} + seconds(1000);

TEST(DrainRate, FallsBackToOneSecondPerItemWithoutData) {
  const DrainRate rate;
  EXPECT_FALSE(rate.has_data(t0));
  EXPECT_EQ(rate.per_second(t0), 0.0);
  EXPECT_EQ(rate.retry_after_ms(0, t0), 100u);  // clamped up
  EXPECT_EQ(rate.retry_after_ms(3, t0), 3000u);
  EXPECT_EQ(rate.retry_after_ms(1000, t0), 60000u);  // clamped down
}

TEST(DrainRate, TracksASteadyRate) {
  DrainRate rate;
  TimePoint now = t0;
  for (int i = 0; i < 300; ++i) {  // 10 per second for 30 s
    rate.on_dispatch(now);
    now += milliseconds(100);
  }
  EXPECT_NEAR(rate.per_second(now), 10.0, 0.5);
  EXPECT_NEAR(rate.retry_after_ms(50, now), 5000.0, 250.0);
  EXPECT_NEAR(rate.retry_after_ms(1, now), 100.0, 5.0);
}

// The predicted start of a queued request: the same live rate, without Retry-After's clamps.
TEST(DrainRate, ExpectedWaitFollowsTheLiveRateUnclamped) {
  const DrainRate idle;
  EXPECT_EQ(idle.expected_wait_ms(0, t0), 0u);
  EXPECT_EQ(idle.expected_wait_ms(3, t0), 3000u);      // the fallback without data
  EXPECT_EQ(idle.expected_wait_ms(100, t0), 100000u);  // not clamped to 60 s
  DrainRate rate;
  TimePoint now = t0;
  for (int i = 0; i < 1200; ++i) {  // 40 per second for 30 s
    rate.on_dispatch(now);
    now += milliseconds(25);
  }
  EXPECT_NEAR(static_cast<double>(rate.expected_wait_ms(1, now)), 25.0, 3.0);  // under 100 ms
  EXPECT_NEAR(static_cast<double>(rate.expected_wait_ms(200, now)), 5000.0, 250.0);
}

TEST(DrainRate, ClampsFastRatesToTheFloor) {
  DrainRate rate;
  for (int i = 0; i < 100; ++i) rate.on_dispatch(t0);
  EXPECT_EQ(rate.retry_after_ms(1, t0), 100u);
  EXPECT_NEAR(rate.retry_after_ms(50, t0), 500.0, 50.0);
}

TEST(DrainRate, EstimatesEarlyWithoutWaitingForAFullWindow) {
  DrainRate rate;
  for (int i = 0; i < 5; ++i) rate.on_dispatch(t0 + milliseconds(200 * i));
  EXPECT_NEAR(rate.per_second(t0 + seconds(1)), 5.0, 0.5);
}

TEST(DrainRate, ALoneDispatchReadsAsAboutOnePerSecond) {
  DrainRate rate;
  rate.on_dispatch(t0);
  EXPECT_TRUE(rate.has_data(t0));
  EXPECT_NEAR(rate.per_second(t0), 1.0, 0.1);
}

TEST(DrainRate, FollowsARateChange) {
  DrainRate rate;
  TimePoint now = t0;
  for (int i = 0; i < 200; ++i, now += milliseconds(100)) rate.on_dispatch(now);  // 10/s
  for (int i = 0; i < 60; ++i, now += milliseconds(500)) rate.on_dispatch(now);   // 2/s, 30 s
  EXPECT_NEAR(rate.per_second(now), 2.0, 0.3);
}

TEST(DrainRate, DecaysWhenNothingIsDispatchedAndThenForgets) {
  DrainRate rate;
  TimePoint now = t0;
  for (int i = 0; i < 300; ++i, now += milliseconds(100)) rate.on_dispatch(now);
  const double busy = rate.per_second(now);
  const double later = rate.per_second(now + seconds(10));
  EXPECT_LT(later, busy / 2);
  EXPECT_GT(later, 0.0);
  EXPECT_GT(rate.retry_after_ms(10, now + seconds(10)), rate.retry_after_ms(10, now));

  const TimePoint much_later = now + seconds(120);
  EXPECT_FALSE(rate.has_data(much_later));
  EXPECT_EQ(rate.per_second(much_later), 0.0);
  EXPECT_EQ(rate.retry_after_ms(4, much_later), 4000u);

  // A new dispatch starts a fresh window rather than averaging with the silence.
  rate.on_dispatch(much_later);
  EXPECT_NEAR(rate.per_second(much_later), 1.0, 0.1);
}

TEST(DrainRate, CountsSimultaneousAndOutOfOrderDispatches) {
  DrainRate rate;
  for (int i = 0; i < 10; ++i) rate.on_dispatch(t0 + seconds(1));
  rate.on_dispatch(t0);  // reported late
  EXPECT_NEAR(rate.per_second(t0 + seconds(1)), 11.0, 1.0);
}

TEST(DrainRate, HalfLifeIsConfigurable) {
  DrainRate fast(milliseconds(500));
  DrainRate slow(seconds(20));
  TimePoint now = t0;
  for (int i = 0; i < 100; ++i, now += milliseconds(100)) {
    fast.on_dispatch(now);
    slow.on_dispatch(now);
  }
  EXPECT_LT(fast.per_second(now + seconds(2)), slow.per_second(now + seconds(2)));
}

}  // namespace
}  // namespace sy::admission
