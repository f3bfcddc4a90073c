// Prometheus text exposition: headers, samples, label escaping and summed histograms.

#include "telemetry/exposition.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace sy::telemetry {
namespace {

constexpr std::span<const Label> kNoLabels{};

TEST(WriteHeader, WritesHelpThenType) {
  std::string out;
  write_header(out, "switchyard_requests_total", "counter", "Requests received.");
  EXPECT_EQ(out,
            "# HELP switchyard_requests_total Requests received.\n"
            "# TYPE switchyard_requests_total counter\n");
}

TEST(WriteSample, WritesValueWithoutLabels) {
  std::string out;
  write_sample(out, "switchyard_up", kNoLabels, std::uint64_t{1});
  EXPECT_EQ(out, "switchyard_up 1\n");
}

TEST(WriteSample, WritesEachValueType) {
  const std::array<Label, 1> labels{Label{"pool", "a"}};
  std::string out;
  write_sample(out, "m", labels, std::uint64_t{18446744073709551615u});
  write_sample(out, "m", labels, std::int64_t{-3});
  write_sample(out, "m", labels, 0.25);
  EXPECT_EQ(out,
            "m{pool=\"a\"} 18446744073709551615\n"
            "m{pool=\"a\"} -3\n"
            "m{pool=\"a\"} 0.25\n");
}

TEST(WriteSample, SeparatesSeveralLabels) {
  const std::array<Label, 3> labels{Label{"pool", "a"}, Label{"code", "429"},
                                    Label{"route", "/v1/chat/completions"}};
  std::string out;
  write_sample(out, "switchyard_responses_total", labels, std::uint64_t{12});
  EXPECT_EQ(
      out,
      "switchyard_responses_total{pool=\"a\",code=\"429\",route=\"/v1/chat/completions\"} 12\n");
}

TEST(WriteSample, EscapesLabelValues) {
  const std::array<Label, 2> labels{Label{"model", "a\"b\\c\nd"}, Label{"empty", ""}};
  std::string out;
  write_sample(out, "m", labels, std::uint64_t{1});
  EXPECT_EQ(out, "m{model=\"a\\\"b\\\\c\\nd\",empty=\"\"} 1\n");
}

TEST(WriteSample, LeavesUtf8LabelValuesAlone) {
  const std::array<Label, 1> labels{Label{"model", "caf\xC3\xA9"}};
  std::string out;
  write_sample(out, "m", labels, std::uint64_t{1});
  EXPECT_EQ(out, "m{model=\"caf\xC3\xA9\"} 1\n");
}

class WriteHistogramTest : public ::testing::Test {
 protected:
  // 1 ms, 10 ms, 100 ms, 1 s.
  const HistogramBounds bounds_ = make_bounds({0.001, 0.01, 0.1, 1.0});
  Histogram shard_a_{bounds_};
  Histogram shard_b_{bounds_};

  void SetUp() override {
    shard_a_.observe_ns(500'000);        // le 0.001
    shard_a_.observe_ns(1'000'000);      // le 0.001 (equal to the bound)
    shard_a_.observe_ns(5'000'000);      // le 0.01
    shard_a_.observe_ns(2'000'000'000);  // +Inf
    shard_b_.observe_ns(10'000'000);     // le 0.01 (equal to the bound)
    shard_b_.observe_ns(50'000'000);     // le 0.1
    shard_b_.observe_ns(433'500'000);    // le 1
    // Sum: 2.5 s exactly; count 7.
  }

  std::array<const Histogram*, 2> shards() const { return {&shard_a_, &shard_b_}; }
};

TEST_F(WriteHistogramTest, SumsShardsIntoCumulativeBuckets) {
  const std::array<Label, 1> labels{Label{"pool", "a"}};
  const auto s = shards();
  std::string out;
  write_histogram(out, "switchyard_ttft_seconds", labels, s);
  EXPECT_EQ(out,
            "switchyard_ttft_seconds_bucket{pool=\"a\",le=\"0.001\"} 2\n"
            "switchyard_ttft_seconds_bucket{pool=\"a\",le=\"0.01\"} 4\n"
            "switchyard_ttft_seconds_bucket{pool=\"a\",le=\"0.1\"} 5\n"
            "switchyard_ttft_seconds_bucket{pool=\"a\",le=\"1\"} 6\n"
            "switchyard_ttft_seconds_bucket{pool=\"a\",le=\"+Inf\"} 7\n"
            "switchyard_ttft_seconds_sum{pool=\"a\"} 2.5\n"
            "switchyard_ttft_seconds_count{pool=\"a\"} 7\n");
}

TEST_F(WriteHistogramTest, WritesOnlyLeLabelWithoutOtherLabels) {
  const auto s = shards();
  std::string out;
  write_histogram(out, "h", kNoLabels, s);
  EXPECT_EQ(out,
            "h_bucket{le=\"0.001\"} 2\n"
            "h_bucket{le=\"0.01\"} 4\n"
            "h_bucket{le=\"0.1\"} 5\n"
            "h_bucket{le=\"1\"} 6\n"
            "h_bucket{le=\"+Inf\"} 7\n"
            "h_sum 2.5\n"
            "h_count 7\n");
}

TEST_F(WriteHistogramTest, EscapesLabelsOnEverySeries) {
  const std::array<Label, 1> labels{Label{"model", "x\"y"}};
  const std::array<const Histogram*, 1> one{&shard_b_};
  std::string out;
  write_histogram(out, "h", labels, one);
  EXPECT_EQ(out,
            "h_bucket{model=\"x\\\"y\",le=\"0.001\"} 0\n"
            "h_bucket{model=\"x\\\"y\",le=\"0.01\"} 1\n"
            "h_bucket{model=\"x\\\"y\",le=\"0.1\"} 2\n"
            "h_bucket{model=\"x\\\"y\",le=\"1\"} 3\n"
            "h_bucket{model=\"x\\\"y\",le=\"+Inf\"} 3\n"
            "h_sum{model=\"x\\\"y\"} 0.4935\n"
            "h_count{model=\"x\\\"y\"} 3\n");
}

TEST_F(WriteHistogramTest, WritesNothingForNoShards) {
  std::string out = "keep";
  write_histogram(out, "h", kNoLabels, std::span<const Histogram* const>{});
  EXPECT_EQ(out, "keep");
}

TEST(WriteHistogram, WritesZeroSeriesForEmptyHistogram) {
  const HistogramBounds bounds = make_bounds({0.5});
  const Histogram h(bounds);
  const std::array<const Histogram*, 1> shards{&h};
  std::string out;
  write_histogram(out, "h", kNoLabels, shards);
  EXPECT_EQ(out,
            "h_bucket{le=\"0.5\"} 0\n"
            "h_bucket{le=\"+Inf\"} 0\n"
            "h_sum 0\n"
            "h_count 0\n");
}

}  // namespace
}  // namespace sy::telemetry
