#pragma once
// HealthTracker: turns a stream of readiness-probe results for one endpoint into a ready flag with
// hysteresis. An endpoint starts unready, becomes ready after `healthy_after` consecutive good
// probes, and becomes unready again after `unhealthy_after` consecutive bad probes.
//
// Thread: not synchronised; owned and used by the control strand only.

#include <cstdint>

namespace sy::placement {

class HealthTracker {
 public:
  // Thresholds of 0 are treated as 1.
  HealthTracker(std::uint32_t healthy_after, std::uint32_t unhealthy_after);

  // Records one probe result; returns true when it changed ready().
  bool on_probe(bool ok);

  [[nodiscard]] bool ready() const noexcept { return ready_; }

 private:
  std::uint32_t healthy_after_;
  std::uint32_t unhealthy_after_;
  std::uint32_t good_streak_ = 0;
  std::uint32_t bad_streak_ = 0;
  bool ready_ = false;
};

}  // namespace sy::placement
