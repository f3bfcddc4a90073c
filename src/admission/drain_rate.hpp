#pragma once
// DrainRate: a live estimate of how fast a model's queue drains (dispatches per second), used to
// tell refused clients when to retry (the Retry-After of a 429).
//
// The estimate is an exponentially decayed event count: each dispatch adds 1, and the count decays
// with the configured half-life (default 5 s). Dividing by the decayed length of the observation
// window gives a rate that tracks a steady dispatch rate without bias, also during the first
// seconds after the first dispatch (the window is taken as at least 1 s so a lone dispatch does not
// read as an infinite rate). When nothing is dispatched the estimate falls; once less than half a
// dispatch's worth of evidence remains (one half-life after a lone dispatch, longer after a busy
// spell), the estimator forgets and reports "no data" until the next dispatch.
//
// All operations are O(1). Time is passed in; nothing reads a clock.
// Thread: not synchronised; owned and used by the control strand only.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "common/clock.hpp"

namespace sy::admission {

class DrainRate {
 public:
  static constexpr std::uint32_t kMinRetryAfterMs = 100;
  static constexpr std::uint32_t kMaxRetryAfterMs = 60000;
  static constexpr std::uint32_t kFallbackMsPerItem = 1000;  // used while there is no data

  // half_life: how quickly old dispatches stop counting; must be > 0 (values <= 0 mean 5 s).
  explicit DrainRate(Millis half_life = Millis{5000});

  // One item left the queue (or was dispatched directly) at `at`.
  void on_dispatch(TimePoint at);

  // True while the estimate rests on enough recent dispatches to be trusted.
  [[nodiscard]] bool has_data(TimePoint now) const;

  // Estimated dispatches per second at `now`; 0 when there is no data.
  [[nodiscard]] double per_second(TimePoint now) const;

  // Estimated milliseconds for `queued_ahead` items to drain at the live rate (or at the fallback
  // of 1000 ms per item without data), clamped to [100, 60000].
  [[nodiscard]] std::uint32_t retry_after_ms(std::size_t queued_ahead, TimePoint now) const;

  // Estimated milliseconds until `items` more dispatches at the live rate (the fallback of
  // 1000 ms per item without data), not clamped: when a queued request should start.
  [[nodiscard]] std::uint64_t expected_wait_ms(std::size_t items, TimePoint now) const;

 private:
  [[nodiscard]] double weight_at(TimePoint now) const;

  double tau_seconds_;                     // mean lifetime of the decay: half_life / ln 2
  std::optional<TimePoint> window_start_;  // first dispatch of the current observation window
  TimePoint last_{};                       // time of the latest dispatch
  double weight_ = 0.0;                    // decayed dispatch count as of last_
};

}  // namespace sy::admission
