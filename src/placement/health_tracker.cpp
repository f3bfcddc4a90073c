#include "placement/health_tracker.hpp"

#include <algorithm>

namespace sy::placement {

HealthTracker::HealthTracker(std::uint32_t healthy_after, std::uint32_t unhealthy_after)
    : healthy_after_(std::max<std::uint32_t>(healthy_after, 1)),
      unhealthy_after_(std::max<std::uint32_t>(unhealthy_after, 1)) {}

bool HealthTracker::on_probe(bool ok) {
  if (ok) {
    bad_streak_ = 0;
    if (good_streak_ < healthy_after_) ++good_streak_;
    if (!ready_ && good_streak_ >= healthy_after_) {
      ready_ = true;
      return true;
    }
    return false;
  }
  good_streak_ = 0;
  if (bad_streak_ < unhealthy_after_) ++bad_streak_;
  if (ready_ && bad_streak_ >= unhealthy_after_) {
    ready_ = false;
    return true;
  }
  return false;
}

}  // namespace sy::placement
