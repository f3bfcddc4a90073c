#pragma once
// Metric primitives for per-thread shards. Each shard has exactly one writer thread, so an
// increment is a relaxed load + store (no locked instruction); the scrape thread reads with
// relaxed loads and sums the shards. Values may be a few increments stale at scrape time, which
// Prometheus tolerates by design.

#include <array>
#include <atomic>
#include <cstdint>
#include <span>

namespace sy::telemetry {

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A per-shard up/down gauge; a shard's value may go negative (a stream opened on one thread is
// never closed on another, but summing signed values keeps that assumption out of the scrape).
class Gauge {
 public:
  void add(std::int64_t n) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  [[nodiscard]] std::int64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::int64_t> value_{0};
};

inline constexpr std::size_t kMaxBuckets = 20;

// Bucket upper bounds in nanoseconds; the +Inf bucket is implicit.
struct HistogramBounds {
  std::array<std::int64_t, kMaxBuckets> upper_ns{};
  std::size_t count = 0;
};

// Bounds from a list of seconds, e.g. make_bounds({0.001, 0.01, 0.1}).
[[nodiscard]] HistogramBounds make_bounds(std::initializer_list<double> seconds);

class Histogram {
 public:
  explicit Histogram(const HistogramBounds& bounds) : bounds_(bounds) {}

  void observe_ns(std::int64_t ns) noexcept {
    if (ns < 0) ns = 0;
    std::size_t i = 0;
    while (i < bounds_.count && ns > bounds_.upper_ns[i]) ++i;
    bump(buckets_[i], 1);
    bump(sum_ns_, static_cast<std::uint64_t>(ns));
  }

  [[nodiscard]] const HistogramBounds& bounds() const noexcept { return bounds_; }
  // Non-cumulative count of bucket i (i == bounds().count is the +Inf bucket).
  [[nodiscard]] std::uint64_t bucket(std::size_t i) const noexcept {
    return buckets_[i].load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t sum_ns() const noexcept {
    return sum_ns_.load(std::memory_order_relaxed);
  }

 private:
  static void bump(std::atomic<std::uint64_t>& a, std::uint64_t n) noexcept {
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  const HistogramBounds& bounds_;
  std::array<std::atomic<std::uint64_t>, kMaxBuckets + 1> buckets_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace sy::telemetry
