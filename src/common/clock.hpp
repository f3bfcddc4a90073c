#pragma once
// Time seams. Domain logic takes time points as arguments (never reads a clock itself), so tests
// drive it with made-up times. I/O code reads Clock::now().

#include <chrono>
#include <cstdint>

namespace sy {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Millis = std::chrono::milliseconds;

// Nanoseconds on CLOCK_MONOTONIC: comparable across processes on one host (used to time
// client-disconnect → upstream-close between the bench tool, the relay and the simulator).
[[nodiscard]] inline std::int64_t monotonic_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace sy
