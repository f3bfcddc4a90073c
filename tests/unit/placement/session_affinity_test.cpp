#include "placement/session_affinity.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sy::placement {
namespace {

using std::chrono::milliseconds;

const TimePoint t0{};

TEST(SessionAffinity, RemembersUntilExpiry) {
  SessionAffinity affinity(10);
  EXPECT_EQ(affinity.lookup("s1", t0), std::nullopt);
  affinity.bind("s1", 4, t0 + milliseconds(100));
  EXPECT_EQ(affinity.lookup("s1", t0), 4u);
  EXPECT_EQ(affinity.lookup("s1", t0 + milliseconds(99)), 4u);
  EXPECT_EQ(affinity.size(), 1u);
  EXPECT_EQ(affinity.lookup("s1", t0 + milliseconds(100)), std::nullopt);  // expires_at <= now
  EXPECT_EQ(affinity.size(), 0u);  // and the expired entry is gone
}

TEST(SessionAffinity, RebindReplacesEndpointAndExpiry) {
  SessionAffinity affinity(10);
  affinity.bind("s1", 1, t0 + milliseconds(100));
  affinity.bind("s1", 2, t0 + milliseconds(500));
  EXPECT_EQ(affinity.size(), 1u);
  EXPECT_EQ(affinity.lookup("s1", t0 + milliseconds(300)), 2u);
}

TEST(SessionAffinity, EvictsTheEntryExpiringSoonestWhenFull) {
  SessionAffinity affinity(3);
  affinity.bind("a", 1, t0 + milliseconds(300));
  affinity.bind("b", 2, t0 + milliseconds(100));
  affinity.bind("c", 3, t0 + milliseconds(200));
  affinity.bind("d", 4, t0 + milliseconds(400));
  EXPECT_EQ(affinity.size(), 3u);
  EXPECT_EQ(affinity.lookup("b", t0), std::nullopt);
  EXPECT_EQ(affinity.lookup("a", t0), 1u);
  EXPECT_EQ(affinity.lookup("c", t0), 3u);
  EXPECT_EQ(affinity.lookup("d", t0), 4u);

  affinity.bind("c", 5, t0 + milliseconds(900));  // rebinding never evicts
  EXPECT_EQ(affinity.size(), 3u);
  affinity.bind("e", 6, t0 + milliseconds(900));  // evicts "a" (300) now
  EXPECT_EQ(affinity.lookup("a", t0), std::nullopt);
  EXPECT_EQ(affinity.lookup("d", t0), 4u);
}

TEST(SessionAffinity, ZeroCapacityStoresNothing) {
  SessionAffinity affinity(0);
  affinity.bind("s", 1, t0 + milliseconds(100));
  EXPECT_EQ(affinity.size(), 0u);
  EXPECT_EQ(affinity.lookup("s", t0), std::nullopt);
}

TEST(SessionAffinity, PurgesExpiredAndForgets) {
  SessionAffinity affinity(10);
  for (int i = 0; i < 5; ++i) {
    affinity.bind("s" + std::to_string(i), static_cast<std::uint32_t>(i),
                  t0 + milliseconds(100 * (i + 1)));
  }
  EXPECT_EQ(affinity.purge_expired(t0 + milliseconds(250)), 2u);
  EXPECT_EQ(affinity.size(), 3u);
  EXPECT_TRUE(affinity.forget("s4"));
  EXPECT_FALSE(affinity.forget("s4"));
  EXPECT_EQ(affinity.size(), 2u);
}

TEST(SessionAffinity, BoundHoldsUnderChurn) {
  SessionAffinity affinity(16);
  for (int i = 0; i < 1000; ++i) {
    affinity.bind("s" + std::to_string(i), 0, t0 + milliseconds(i));
    ASSERT_LE(affinity.size(), 16u);
  }
  EXPECT_EQ(affinity.lookup("s999", t0), 0u);
  EXPECT_EQ(affinity.lookup("s983", t0), std::nullopt);
  EXPECT_EQ(affinity.lookup("s984", t0), 0u);
}

}  // namespace
}  // namespace sy::placement
