#include "placement/health_tracker.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sy::placement {
namespace {

struct Step {
  bool ok;
  bool changed;
  bool ready_after;
};

struct HealthCase {
  std::string name;
  std::uint32_t healthy_after;
  std::uint32_t unhealthy_after;
  std::vector<Step> steps;
};

TEST(HealthTracker, AppliesThresholdsWithHysteresis) {
  const std::vector<HealthCase> cases = {
      {"ready after two good, unready after three bad",
       2,
       3,
       {{true, false, false},
        {true, true, true},
        {false, false, true},
        {false, false, true},
        {true, false, true},  // breaks the bad streak
        {false, false, true},
        {false, false, true},
        {false, true, false},
        {false, false, false}}},
      {"a bad probe resets the good streak",
       3,
       1,
       {{true, false, false},
        {true, false, false},
        {false, false, false},
        {true, false, false},
        {true, false, false},
        {true, true, true},
        {false, true, false}}},
      {"thresholds of one flip on every change",
       1,
       1,
       {{true, true, true}, {true, false, true}, {false, true, false}, {true, true, true}}},
      {"zero thresholds act as one", 0, 0, {{false, false, false}, {true, true, true}}},
  };
  for (const HealthCase& c : cases) {
    SCOPED_TRACE(c.name);
    HealthTracker tracker(c.healthy_after, c.unhealthy_after);
    EXPECT_FALSE(tracker.ready());
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      SCOPED_TRACE("step " + std::to_string(i));
      EXPECT_EQ(tracker.on_probe(c.steps[i].ok), c.steps[i].changed);
      EXPECT_EQ(tracker.ready(), c.steps[i].ready_after);
    }
  }
}

}  // namespace
}  // namespace sy::placement
