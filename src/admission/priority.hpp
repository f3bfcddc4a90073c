#pragma once
// Request priority classes for admission. Interactive work is always dispatched before batch work
// of the same model; within a priority, order is FIFO.
// Pure values; usable from any thread.

#include <cstdint>
#include <optional>
#include <string_view>

namespace sy::admission {

enum class Priority : std::uint8_t { Interactive = 0, Batch = 1 };

inline constexpr std::size_t kPriorityCount = 2;

// "interactive" or "batch", case-insensitive; anything else is nullopt.
[[nodiscard]] std::optional<Priority> parse_priority(std::string_view text) noexcept;

// The lowercase name parse_priority accepts.
[[nodiscard]] std::string_view to_string(Priority priority) noexcept;

}  // namespace sy::admission
