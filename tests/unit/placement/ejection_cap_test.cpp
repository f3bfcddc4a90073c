#include "placement/ejection_cap.hpp"

#include <gtest/gtest.h>

#include <array>
#include <memory>

namespace sy::placement {
namespace {

const TimePoint t0 = TimePoint{} + std::chrono::hours(1);

TEST(MaxEjected, IsTheShareRoundedDownAndNeverTheLastOne) {
  EXPECT_EQ(max_ejected(0, 50), 0u);
  EXPECT_EQ(max_ejected(1, 50), 0u);
  EXPECT_EQ(max_ejected(1, 100), 0u);
  EXPECT_EQ(max_ejected(2, 50), 1u);
  EXPECT_EQ(max_ejected(3, 50), 1u);
  EXPECT_EQ(max_ejected(4, 50), 2u);
  EXPECT_EQ(max_ejected(4, 100), 3u);
  EXPECT_EQ(max_ejected(10, 0), 0u);
  EXPECT_EQ(max_ejected(10, 250), 9u);  // a share over 100 % reads as 100 %
}

// Pool 0 (model a): endpoints 0, 1, 2. Pool 1 (models a, b): endpoint 3.
RegistrySnapshot snapshot() {
  RegistrySnapshot s;
  s.pools = {{"p0", {"a"}, 1, 1, {0, 1, 2}}, {"p1", {"a", "b"}, 1, 1, {3}}};
  for (std::uint32_t e = 0; e < 4; ++e) s.endpoints.push_back({e, e < 3 ? 0u : 1u, "u", true});
  return s;
}

TEST(CapEjections, LeavesAllowedEndpointsAlone) {
  const RegistrySnapshot s = snapshot();
  std::array<bool, 4> allows{true, true, true, true};
  std::array<bool, 4> panic{true, true, true, true};
  const std::array<TimePoint, 4> opened{};
  EXPECT_EQ(cap_ejections(s, model_endpoints(s), allows, opened, 50, panic), 0u);
  EXPECT_EQ(panic, (std::array<bool, 4>{}));
}

TEST(CapEjections, PutsTheMostRecentlyOpenedBackBeyondTheShare) {
  const RegistrySnapshot s = snapshot();
  // Model a has 4 ready endpoints: 2 may go. Three are refused; the latest (1) comes back.
  std::array<bool, 4> allows{false, false, false, true};
  std::array<bool, 4> panic{};
  const std::array<TimePoint, 4> opened{t0, t0 + std::chrono::seconds(2),
                                        t0 + std::chrono::seconds(1), t0};
  EXPECT_EQ(cap_ejections(s, model_endpoints(s), allows, opened, 50, panic), 1u);
  EXPECT_EQ(allows, (std::array<bool, 4>{false, true, false, true}));
  EXPECT_EQ(panic, (std::array<bool, 4>{false, true, false, false}));
}

TEST(CapEjections, NeverEjectsAModelsLastReadyEndpoint) {
  RegistrySnapshot s = snapshot();
  // Model b has one endpoint (3): its breaker may refuse, the cap says no.
  std::array<bool, 4> allows{true, true, true, false};
  std::array<bool, 4> panic{};
  const std::array<TimePoint, 4> opened{};
  EXPECT_EQ(cap_ejections(s, model_endpoints(s), allows, opened, 100, panic), 1u);
  EXPECT_TRUE(allows[3]);
  EXPECT_TRUE(panic[3]);
}

TEST(CapEjections, CountsOnlyReadyEndpoints) {
  RegistrySnapshot s = snapshot();
  s.endpoints[0].ready = false;
  s.endpoints[1].ready = false;
  // Model a: ready 2 and 3 → at most 1 ejected; 2 and 3 both refused → the later one returns.
  std::array<bool, 4> allows{false, false, false, false};
  std::array<bool, 4> panic{};
  const std::array<TimePoint, 4> opened{t0, t0, t0, t0 + std::chrono::seconds(1)};
  EXPECT_EQ(cap_ejections(s, model_endpoints(s), allows, opened, 50, panic), 1u);
  EXPECT_FALSE(allows[2]);
  EXPECT_TRUE(allows[3]);
  EXPECT_FALSE(allows[0]);  // unready endpoints are the health probes' business
}

}  // namespace
}  // namespace sy::placement
