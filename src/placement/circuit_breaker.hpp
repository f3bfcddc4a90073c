#pragma once
// CircuitBreaker: stops sending work to one endpoint after consecutive failures, then lets a single
// trial request through once a cool-off has passed.
//
//   Closed   --(failure_threshold consecutive failures)-->  Open
//   Open     --(open_for elapsed)-->                         HalfOpen
//   HalfOpen --(success)--> Closed        HalfOpen --(failure)--> Open (cool-off restarts)
//
// In HalfOpen exactly one trial request may be in flight: allow_request() grants it and refuses
// others until the trial reports on_success/on_failure. Outcomes reported while Open (requests
// that started before the breaker opened) are ignored: they neither close the breaker nor extend
// the cool-off.
//
// Time is passed in. Thread: not synchronised; owned and used by the control strand only.

#include <cstdint>

#include "common/clock.hpp"
#include "placement/registry_snapshot.hpp"

namespace sy::placement {

class CircuitBreaker {
 public:
  // failure_threshold 0 is treated as 1.
  CircuitBreaker(std::uint32_t failure_threshold, Millis open_for);

  void on_success(TimePoint now);
  void on_failure(TimePoint now);
  // A granted request that never reached the engine (its client left first): no verdict, but a
  // HalfOpen trial it held is given back so the next request can be the trial.
  void on_unused() noexcept { trial_in_flight_ = false; }

  // The state at `now` (an Open breaker whose cool-off has passed reads as HalfOpen).
  [[nodiscard]] BreakerState state(TimePoint now) const;

  // Whether allow_request(now) would grant a request, without claiming the HalfOpen trial.
  // Lets a caller test many endpoints and then claim only the one it picks.
  [[nodiscard]] bool permits(TimePoint now) const;

  // Grants or refuses one request at `now`. Closed: granted. Open: refused. HalfOpen: granted
  // only when no trial is in flight, and the grant becomes the trial.
  bool allow_request(TimePoint now);

  [[nodiscard]] std::uint32_t consecutive_failures() const noexcept { return failures_; }
  // When the breaker last opened (meaningful while it is Open or HalfOpen).
  [[nodiscard]] TimePoint opened_at() const noexcept { return opened_at_; }

 private:
  void open(TimePoint now);

  std::uint32_t threshold_;
  Millis open_for_;
  std::uint32_t failures_ = 0;
  bool open_ = false;  // Open or HalfOpen; which one depends on the time
  TimePoint opened_at_{};
  bool trial_in_flight_ = false;
};

}  // namespace sy::placement
