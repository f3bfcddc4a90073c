// Counter, Gauge and Histogram shards: values and bucket selection.

#include "telemetry/metric_types.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "telemetry/exposition.hpp"  // make_bounds

namespace sy::telemetry {
namespace {

TEST(Counter, StartsAtZeroAndAdds) {
  Counter c;
  EXPECT_EQ(c.value(), 0u);
  c.inc();
  c.inc(41);
  EXPECT_EQ(c.value(), 42u);
}

TEST(Gauge, AddsSetsAndGoesNegative) {
  Gauge g;
  g.add(3);
  g.add(-5);
  EXPECT_EQ(g.value(), -2);
  g.set(10);
  EXPECT_EQ(g.value(), 10);
}

TEST(MakeBounds, ConvertsSecondsToNanoseconds) {
  const HistogramBounds b = make_bounds({0.001, 0.0025, 0.1, 1.0, 30.0});
  ASSERT_EQ(b.count, 5u);
  EXPECT_EQ(b.upper_ns[0], 1'000'000);
  EXPECT_EQ(b.upper_ns[1], 2'500'000);
  EXPECT_EQ(b.upper_ns[2], 100'000'000);
  EXPECT_EQ(b.upper_ns[3], 1'000'000'000);
  EXPECT_EQ(b.upper_ns[4], 30'000'000'000);
}

TEST(MakeBounds, KeepsAtMostMaxBuckets) {
  const HistogramBounds b =
      make_bounds({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22});
  EXPECT_EQ(b.count, kMaxBuckets);
  EXPECT_EQ(b.upper_ns[kMaxBuckets - 1], 20'000'000'000);
}

class HistogramTest : public ::testing::Test {
 protected:
  // 1 ms, 10 ms, 100 ms, 1 s; index 4 is +Inf.
  const HistogramBounds bounds_ = make_bounds({0.001, 0.01, 0.1, 1.0});
  Histogram h_{bounds_};

  // The index of the one bucket that `ns` lands in.
  std::size_t bucket_of(std::int64_t ns) {
    Histogram h(bounds_);
    h.observe_ns(ns);
    std::size_t found = 99;
    for (std::size_t i = 0; i <= bounds_.count; ++i) {
      if (h.bucket(i) == 1) {
        EXPECT_EQ(found, 99u) << "two buckets for " << ns;
        found = i;
      } else {
        EXPECT_EQ(h.bucket(i), 0u);
      }
    }
    return found;
  }
};

TEST_F(HistogramTest, PutsValueEqualToABoundInThatBucket) {
  EXPECT_EQ(bucket_of(1'000'000), 0u);
  EXPECT_EQ(bucket_of(10'000'000), 1u);
  EXPECT_EQ(bucket_of(100'000'000), 2u);
  EXPECT_EQ(bucket_of(1'000'000'000), 3u);
}

TEST_F(HistogramTest, PutsValueJustAboveABoundInTheNextBucket) {
  EXPECT_EQ(bucket_of(1'000'001), 1u);
  EXPECT_EQ(bucket_of(10'000'001), 2u);
  EXPECT_EQ(bucket_of(100'000'001), 3u);
}

TEST_F(HistogramTest, PutsValueAboveLastBoundInInfBucket) {
  EXPECT_EQ(bucket_of(1'000'000'001), 4u);
  EXPECT_EQ(bucket_of(std::numeric_limits<std::int64_t>::max()), 4u);
}

TEST_F(HistogramTest, PutsZeroAndNegativeInFirstBucket) {
  EXPECT_EQ(bucket_of(0), 0u);
  EXPECT_EQ(bucket_of(-5), 0u);
}

TEST_F(HistogramTest, SumsObservationsClampingNegativesToZero) {
  h_.observe_ns(1'500);
  h_.observe_ns(2'000'000'000);
  h_.observe_ns(-1'000);
  EXPECT_EQ(h_.sum_ns(), 2'000'001'500u);
  EXPECT_EQ(h_.bucket(0), 2u);
  EXPECT_EQ(h_.bucket(4), 1u);
}

TEST(Histogram, UsesOnlyInfBucketWithoutBounds) {
  const HistogramBounds none{};
  Histogram h(none);
  h.observe_ns(0);
  h.observe_ns(5);
  EXPECT_EQ(h.bucket(0), 2u);
}

}  // namespace
}  // namespace sy::telemetry
