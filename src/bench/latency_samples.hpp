#pragma once
// LatencySamples: a bounded sample set of durations (nanoseconds) with exact percentiles over what
// it holds. Up to `capacity` samples are kept verbatim; beyond that reservoir sampling keeps a
// uniform sample of everything seen, so memory is fixed however long the run. Storage for the
// expected number of samples is reserved up front, so add() does not allocate in a run that stays
// within it. Single-threaded.

#include <cstdint>
#include <vector>

namespace sy::bench {

struct Percentiles {
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, min_ms = 0;
  std::uint64_t count = 0;  // samples seen (not only kept)
};

class LatencySamples {
 public:
  // `expected` sizes the initial reservation (min(expected, capacity)).
  LatencySamples(std::size_t capacity, std::size_t expected);

  void add(std::int64_t ns) noexcept;
  [[nodiscard]] std::uint64_t seen() const noexcept { return seen_; }

  // Sorts the kept samples (once; later add() calls are fine) and reads nearest-rank
  // percentiles. max/min are over every sample seen, kept or not.
  [[nodiscard]] Percentiles percentiles();

 private:
  std::vector<std::int64_t> samples_;
  std::size_t capacity_;
  std::uint64_t seen_ = 0;
  std::int64_t max_ = 0;
  std::int64_t min_ = 0;
  std::uint64_t rng_ = 0x9E3779B97F4A7C15ULL;  // xorshift state
};

}  // namespace sy::bench
