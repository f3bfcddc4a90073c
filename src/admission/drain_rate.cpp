#include "admission/drain_rate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace sy::admission {
namespace {

constexpr double kMinEvidence = 0.5;       // decayed dispatches below which we forget
constexpr double kMinWindowSeconds = 1.0;  // a lone dispatch reads as ~1/s, not infinity
constexpr double kDefaultHalfLifeSeconds = 5.0;

double seconds_between(TimePoint from, TimePoint to) {
  return std::max(0.0, std::chrono::duration<double>(to - from).count());
}

}  // namespace

DrainRate::DrainRate(Millis half_life) {
  double half_life_seconds = std::chrono::duration<double>(half_life).count();
  if (!(half_life_seconds > 0.0)) half_life_seconds = kDefaultHalfLifeSeconds;
  tau_seconds_ = half_life_seconds / std::log(2.0);
}

void DrainRate::on_dispatch(TimePoint at) {
  if (!has_data(at)) {
    window_start_ = at;
    last_ = at;
    weight_ = 1.0;
    return;
  }
  if (at <= last_) {
    // Same instant (or an out-of-order report): count it without moving the decay reference.
    weight_ += 1.0;
    return;
  }
  weight_ = weight_at(at) + 1.0;
  last_ = at;
}

double DrainRate::weight_at(TimePoint now) const {
  return weight_ * std::exp(-seconds_between(last_, now) / tau_seconds_);
}

bool DrainRate::has_data(TimePoint now) const {
  return window_start_.has_value() && weight_at(now) >= kMinEvidence;
}

double DrainRate::per_second(TimePoint now) const {
  if (!has_data(now)) return 0.0;
  // A steady rate r observed for T seconds leaves a decayed count of r·τ·(1 − e^(−T/τ)), so
  // dividing by that window length recovers r from the first second on.
  const double observed = std::max(kMinWindowSeconds, seconds_between(*window_start_, now));
  const double window = tau_seconds_ * (1.0 - std::exp(-observed / tau_seconds_));
  return weight_at(now) / window;
}

std::uint32_t DrainRate::retry_after_ms(std::size_t queued_ahead, TimePoint now) const {
  const double items = static_cast<double>(queued_ahead);
  const double rate = per_second(now);
  const double ms = rate > 0.0 ? items * 1000.0 / rate : items * kFallbackMsPerItem;
  const double clamped =
      std::clamp(ms, static_cast<double>(kMinRetryAfterMs), static_cast<double>(kMaxRetryAfterMs));
  return static_cast<std::uint32_t>(std::lround(clamped));
}

std::uint64_t DrainRate::expected_wait_ms(std::size_t items, TimePoint now) const {
  const double n = static_cast<double>(items);
  const double rate = per_second(now);
  return static_cast<std::uint64_t>(
      std::llround(rate > 0.0 ? n * 1000.0 / rate : n * kFallbackMsPerItem));
}

}  // namespace sy::admission
