#include "placement/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace sy::placement {
namespace {

using std::chrono::milliseconds;

const TimePoint t0{};

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresOnly) {
  CircuitBreaker breaker(3, milliseconds(1000));
  breaker.on_failure(t0);
  breaker.on_failure(t0);
  breaker.on_success(t0);  // resets the streak
  breaker.on_failure(t0);
  breaker.on_failure(t0);
  EXPECT_EQ(breaker.state(t0), BreakerState::Closed);
  EXPECT_TRUE(breaker.allow_request(t0));
  breaker.on_failure(t0);
  EXPECT_EQ(breaker.state(t0), BreakerState::Open);
  EXPECT_FALSE(breaker.permits(t0));
  EXPECT_FALSE(breaker.allow_request(t0 + milliseconds(999)));
}

TEST(CircuitBreaker, HalfOpenAdmitsExactlyOneTrialAndClosesOnSuccess) {
  CircuitBreaker breaker(1, milliseconds(1000));
  breaker.on_failure(t0);
  const TimePoint later = t0 + milliseconds(1000);
  EXPECT_EQ(breaker.state(later), BreakerState::HalfOpen);
  EXPECT_TRUE(breaker.permits(later));
  EXPECT_TRUE(breaker.permits(later));  // permits() does not claim the trial
  EXPECT_TRUE(breaker.allow_request(later));
  EXPECT_FALSE(breaker.permits(later));
  EXPECT_FALSE(breaker.allow_request(later));
  EXPECT_EQ(breaker.state(later), BreakerState::HalfOpen);

  breaker.on_success(later);
  EXPECT_EQ(breaker.state(later), BreakerState::Closed);
  EXPECT_TRUE(breaker.allow_request(later));
  EXPECT_TRUE(breaker.allow_request(later));
}

TEST(CircuitBreaker, FailedTrialReopensWithAFreshCoolOff) {
  CircuitBreaker breaker(2, milliseconds(1000));
  breaker.on_failure(t0);
  breaker.on_failure(t0);
  const TimePoint trial = t0 + milliseconds(1500);
  ASSERT_TRUE(breaker.allow_request(trial));
  breaker.on_failure(trial);
  EXPECT_EQ(breaker.state(trial), BreakerState::Open);
  EXPECT_EQ(breaker.state(trial + milliseconds(999)), BreakerState::Open);
  EXPECT_EQ(breaker.state(trial + milliseconds(1000)), BreakerState::HalfOpen);
  EXPECT_TRUE(breaker.allow_request(trial + milliseconds(1000)));  // a new trial is possible
}

TEST(CircuitBreaker, IgnoresStragglersWhileOpen) {
  CircuitBreaker breaker(1, milliseconds(1000));
  breaker.on_failure(t0);
  breaker.on_success(t0 + milliseconds(10));  // a request from before opening finished fine
  EXPECT_EQ(breaker.state(t0 + milliseconds(10)), BreakerState::Open);
  breaker.on_failure(t0 + milliseconds(900));  // must not extend the cool-off
  EXPECT_EQ(breaker.state(t0 + milliseconds(1000)), BreakerState::HalfOpen);
}

TEST(CircuitBreaker, ZeroThresholdActsAsOne) {
  CircuitBreaker breaker(0, milliseconds(10));
  EXPECT_EQ(breaker.state(t0), BreakerState::Closed);
  breaker.on_failure(t0);
  EXPECT_EQ(breaker.state(t0), BreakerState::Open);
}

TEST(CircuitBreaker, NamesStates) {
  EXPECT_EQ(to_string(BreakerState::Closed), "closed");
  EXPECT_EQ(to_string(BreakerState::Open), "open");
  EXPECT_EQ(to_string(BreakerState::HalfOpen), "half_open");
}

TEST(CircuitBreaker, AnUnusedTrialIsGivenBackWithoutAVerdict) {
  CircuitBreaker b(1, std::chrono::milliseconds(100));
  const TimePoint t = TimePoint{} + std::chrono::hours(1);
  b.on_failure(t);
  const TimePoint later = t + std::chrono::milliseconds(100);
  ASSERT_EQ(b.state(later), BreakerState::HalfOpen);
  EXPECT_TRUE(b.allow_request(later));                // the trial
  EXPECT_FALSE(b.allow_request(later));               // only one at a time
  b.on_unused();                                      // its client left before it was sent
  EXPECT_EQ(b.state(later), BreakerState::HalfOpen);  // not closed: nothing was proven
  EXPECT_TRUE(b.allow_request(later));                // the next request may be the trial
}

}  // namespace
}  // namespace sy::placement
