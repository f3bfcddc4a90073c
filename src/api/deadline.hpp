#pragma once
// Request deadlines from headers: `X-Deadline` (RFC 3339 timestamp) or `X-Timeout-Ms`
// (milliseconds from arrival). Pure: the current times are passed in.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/error.hpp"

namespace sy::api {

// Parses an RFC 3339 timestamp ("2026-11-23T10:15:30Z", "...30.250+01:00") to system time.
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> parse_rfc3339(
    std::string_view text) noexcept;

// `at` as an RFC 3339 UTC timestamp with milliseconds ("2026-11-23T10:15:30.250Z"): how the
// deadline is forwarded to engines (X-Deadline). Dates from 0001 to 9999.
[[nodiscard]] std::string format_rfc3339(std::chrono::system_clock::time_point at);

// The request's deadline on the steady clock, TimePoint::max() when neither header is present.
// Errors: InvalidParams (param names the header) for unparsable values.
[[nodiscard]] Result<TimePoint> request_deadline(std::string_view x_deadline,
                                                 std::string_view x_timeout_ms,
                                                 TimePoint steady_now,
                                                 std::chrono::system_clock::time_point wall_now);

}  // namespace sy::api
