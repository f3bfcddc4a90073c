#include "placement/circuit_breaker.hpp"

#include <algorithm>

namespace sy::placement {

CircuitBreaker::CircuitBreaker(std::uint32_t failure_threshold, Millis open_for)
    : threshold_(std::max<std::uint32_t>(failure_threshold, 1)), open_for_(open_for) {}

BreakerState CircuitBreaker::state(TimePoint now) const {
  if (!open_) return BreakerState::Closed;
  return now - opened_at_ >= open_for_ ? BreakerState::HalfOpen : BreakerState::Open;
}

bool CircuitBreaker::permits(TimePoint now) const {
  switch (state(now)) {
    case BreakerState::Closed:
      return true;
    case BreakerState::HalfOpen:
      return !trial_in_flight_;
    case BreakerState::Open:
      return false;
  }
  return false;
}

bool CircuitBreaker::allow_request(TimePoint now) {
  if (!permits(now)) return false;
  if (state(now) == BreakerState::HalfOpen) trial_in_flight_ = true;
  return true;
}

void CircuitBreaker::on_success(TimePoint now) {
  switch (state(now)) {
    case BreakerState::Closed:
      failures_ = 0;
      return;
    case BreakerState::HalfOpen:
      open_ = false;
      failures_ = 0;
      trial_in_flight_ = false;
      return;
    case BreakerState::Open:
      return;  // a straggler from before the breaker opened proves little
  }
}

void CircuitBreaker::on_failure(TimePoint now) {
  switch (state(now)) {
    case BreakerState::Closed:
      if (++failures_ >= threshold_) open(now);
      return;
    case BreakerState::HalfOpen:
      open(now);
      return;
    case BreakerState::Open:
      return;  // already open; stragglers do not extend the cool-off
  }
}

void CircuitBreaker::open(TimePoint now) {
  open_ = true;
  opened_at_ = now;
  trial_in_flight_ = false;
}

}  // namespace sy::placement
