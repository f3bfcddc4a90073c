#include "placement/placement.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace sy::placement {
namespace {

// p0 "small": m1, m2; 2 slots; ctx 4096; endpoints 0, 1
// p1 "big":   m1;     4 slots; ctx 32768; endpoint 2
// p2 "other": m3;     1 slot;  ctx 8192; endpoint 3
struct World {
  RegistrySnapshot snapshot;
  std::vector<std::uint32_t> in_flight = {0, 0, 0, 0};
  bool allows[4] = {true, true, true, true};
  std::vector<std::uint32_t> excluded;

  World() {
    snapshot.pools = {
        {"small", {"m1", "m2"}, 2, 4096, {0, 1}},
        {"big", {"m1"}, 4, 32768, {2}},
        {"other", {"m3"}, 1, 8192, {3}},
    };
    for (std::uint32_t e = 0; e < 4; ++e) {
      const std::uint32_t pool = e < 2 ? 0 : e - 1;
      snapshot.endpoints.push_back({e, pool, "http://e" + std::to_string(e), true});
    }
  }

  PlacementResult place_for(std::string_view model, std::uint32_t ctx,
                            std::optional<std::uint32_t> preferred = std::nullopt) const {
    return place(snapshot, in_flight, allows, PlacementRequest{model, ctx, preferred, excluded});
  }
};

struct FeasibilityCase {
  std::string name;
  std::function<void(World&)> setup;
  std::string model;
  std::uint32_t ctx;
  std::optional<std::uint32_t> endpoint;
  PlacementFailure failure;  // checked when !endpoint
};

TEST(Placement, AppliesEveryFeasibilityCriterion) {
  const auto none = std::nullopt;
  const std::vector<FeasibilityCase> cases = {
      {"baseline picks lowest index", [](World&) {}, "m2", 100, 0, {}},
      {"unready endpoint skipped",
       [](World& w) { w.snapshot.endpoints[0].ready = false; },
       "m2",
       100,
       1,
       {}},
      {"breaker refusal skipped", [](World& w) { w.allows[0] = false; }, "m2", 100, 1, {}},
      {"excluded endpoint skipped", [](World& w) { w.excluded = {0}; }, "m2", 100, 1, {}},
      {"full endpoint skipped", [](World& w) { w.in_flight[0] = 2; }, "m2", 100, 1, {}},
      {"ctx picks the pool that fits", [](World&) {}, "m1", 8000, 2, {}},
      {"ctx exactly at the limit fits", [](World&) {}, "m2", 4096, 0, {}},
      {"unknown model", [](World&) {}, "nope", 1, none, PlacementFailure::NoPoolForModel},
      {"model names are exact", [](World&) {}, "M1", 1, none, PlacementFailure::NoPoolForModel},
      {"context too large for every pool", [](World&) {}, "m2", 4097, none,
       PlacementFailure::ContextTooLarge},
      {"nothing ready",
       [](World& w) {
         for (auto& e : w.snapshot.endpoints) e.ready = false;
       },
       "m2", 100, none, PlacementFailure::NoReadyEndpoint},
      {"all breakers refuse", [](World& w) { w.allows[0] = w.allows[1] = false; }, "m2", 100, none,
       PlacementFailure::NoReadyEndpoint},
      {"all excluded",
       [](World& w) {
         w.excluded = {1, 0};
       },
       "m2", 100, none, PlacementFailure::NoReadyEndpoint},
      {"all full",
       [](World& w) {
         w.in_flight = {2, 2, 0, 0};
       },
       "m2", 100, none, PlacementFailure::AllBusy},
      {"one unready, one full: busy",
       [](World& w) {
         w.snapshot.endpoints[0].ready = false;
         w.in_flight[1] = 2;
       },
       "m2", 100, none, PlacementFailure::AllBusy},
      {"ctx beats readiness",
       [](World& w) {
         for (auto& e : w.snapshot.endpoints) e.ready = false;
       },
       "m2", 5000, none, PlacementFailure::ContextTooLarge},
      {"unfit pool's free endpoints do not count",
       [](World& w) { w.snapshot.endpoints[2].ready = false; }, "m1", 8000, none,
       PlacementFailure::NoReadyEndpoint},
      {"zero slots is always busy", [](World& w) { w.snapshot.pools[2].slots = 0; }, "m3", 1, none,
       PlacementFailure::AllBusy},
  };
  for (const FeasibilityCase& c : cases) {
    SCOPED_TRACE(c.name);
    World world;
    c.setup(world);
    const PlacementResult result = world.place_for(c.model, c.ctx);
    EXPECT_EQ(result.endpoint, c.endpoint);
    if (!c.endpoint && !result.endpoint) {
      EXPECT_EQ(to_string(result.failure), to_string(c.failure));
    }
  }
}

struct LoadCase {
  std::vector<std::uint32_t> in_flight;  // endpoints 0, 1, 2 (m1 candidates)
  std::uint32_t expected;
};

TEST(Placement, ChoosesLeastLoadedWithDeterministicTieBreak) {
  // Endpoints 0 and 1 have 2 slots, endpoint 2 has 4.
  const std::vector<LoadCase> cases = {
      {{0, 0, 0}, 0},                  // all idle: lowest index
      {{1, 0, 0}, 1},                  // 0/2 vs 0/4 tie on ratio and count: lowest index among 1, 2
      {{1, 1, 0}, 2}, {{1, 1, 1}, 2},  // 1/4 beats 1/2
      {{1, 1, 2}, 0},                  // 1/2 = 2/4: fewer in flight wins, then the lower index
      {{0, 1, 3}, 0}, {{2, 1, 3}, 1},  // 1/2 < 3/4
      {{2, 2, 3}, 2},                  // the only one with room
  };
  for (const LoadCase& c : cases) {
    World world;
    world.in_flight = {c.in_flight[0], c.in_flight[1], c.in_flight[2], 0};
    EXPECT_EQ(world.place_for("m1", 100).endpoint, c.expected)
        << c.in_flight[0] << "," << c.in_flight[1] << "," << c.in_flight[2];
  }
}

TEST(Placement, HonoursPreferredEndpointOnlyWhenFeasible) {
  World world;
  world.in_flight = {0, 1, 0, 0};
  EXPECT_EQ(world.place_for("m1", 100, 1u).endpoint, 1u);  // busier, but preferred
  world.in_flight = {0, 2, 0, 0};
  EXPECT_EQ(world.place_for("m1", 100, 1u).endpoint, 0u);  // preferred is full
  world.in_flight = {0, 0, 0, 0};
  EXPECT_EQ(world.place_for("m1", 100, 3u).endpoint, 0u);   // preferred serves another model
  EXPECT_EQ(world.place_for("m1", 8000, 0u).endpoint, 2u);  // preferred's pool too small
  world.excluded = {1};
  EXPECT_EQ(world.place_for("m1", 100, 1u).endpoint, 0u);  // preferred already tried
  world.allows[2] = false;
  EXPECT_EQ(world.place_for("m1", 100, 2u).endpoint, 0u);   // preferred breaker refuses
  EXPECT_EQ(world.place_for("m1", 100, 99u).endpoint, 0u);  // no such endpoint
}

TEST(Placement, ShortSpansReadAsIdleAndAllowed) {
  World world;
  world.in_flight.clear();
  const PlacementResult result =
      place(world.snapshot, {}, {}, PlacementRequest{"m3", 1, std::nullopt, {}});
  EXPECT_EQ(result.endpoint, 3u);
}

TEST(Placement, IgnoresEndpointIndicesOutsideTheSnapshot) {
  World world;
  world.snapshot.pools[2].endpoint_indices = {42};
  EXPECT_EQ(world.place_for("m3", 1).failure, PlacementFailure::NoReadyEndpoint);
}

}  // namespace
}  // namespace sy::placement
