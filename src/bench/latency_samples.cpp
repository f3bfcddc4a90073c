#include "bench/latency_samples.hpp"

#include <algorithm>
#include <cmath>

namespace sy::bench {

LatencySamples::LatencySamples(std::size_t capacity, std::size_t expected) : capacity_(capacity) {
  samples_.reserve(std::min(capacity, expected));
}

void LatencySamples::add(std::int64_t ns) noexcept {
  if (seen_ == 0 || ns > max_) max_ = ns;
  if (seen_ == 0 || ns < min_) min_ = ns;
  ++seen_;
  if (samples_.size() < capacity_) {
    samples_.push_back(ns);  // within the reservation unless `expected` was an underestimate
    return;
  }
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  const std::uint64_t j = rng_ % seen_;
  if (j < capacity_) samples_[static_cast<std::size_t>(j)] = ns;
}

Percentiles LatencySamples::percentiles() {
  Percentiles p;
  p.count = seen_;
  if (samples_.empty()) return p;
  std::sort(samples_.begin(), samples_.end());
  const auto rank = [this](double q) {
    const auto n = static_cast<double>(samples_.size());
    auto index = static_cast<std::size_t>(std::ceil(q * n));
    index = index == 0 ? 0 : index - 1;
    return static_cast<double>(samples_[std::min(index, samples_.size() - 1)]) / 1e6;
  };
  p.p50_ms = rank(0.50);
  p.p90_ms = rank(0.90);
  p.p99_ms = rank(0.99);
  p.max_ms = static_cast<double>(max_) / 1e6;
  p.min_ms = static_cast<double>(min_) / 1e6;
  return p;
}

}  // namespace sy::bench
