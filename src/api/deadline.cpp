#include "api/deadline.hpp"

#include <charconv>
#include <cstdio>

namespace sy::api {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) noexcept {
  using namespace std::chrono;
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
      !digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  // Nanoseconds since 1970 overflow 64 bits in 2262; anything that far out means "no deadline".
  if (y >= 2200) return std::chrono::system_clock::time_point::max();
  std::size_t pos = 19;
  nanoseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::int64_t scale = 100'000'000;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac += nanoseconds((s[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  minutes offset{0};
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = minutes(oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  // Nor do they reach back before 1677: the conversion below overflowed (undefined behaviour) for
  // "1000-01-01T00:00:00Z", found by tests/fuzz/http_request_fuzz.cpp. A deadline before 1900 has
  // long passed whatever its exact value, so it reads as 1900-01-01, which also keeps
  // request_deadline's `wall - wall_now` in range.
  if (y < 1900) return system_clock::time_point(sys_days{year{1900} / January / 1});
  const sys_days days{ymd};
  return time_point_cast<system_clock::duration>(days + hours(h) + minutes(mi) + seconds(sec) +
                                                 frac - offset);
}

std::string format_rfc3339(std::chrono::system_clock::time_point at) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(at);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> time{ms - day};
  char out[32];
  const int n = std::snprintf(
      out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
      static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
      static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
  return std::string(out, n > 0 ? static_cast<std::size_t>(n) : 0);
}

Result<TimePoint> request_deadline(std::string_view x_deadline, std::string_view x_timeout_ms,
                                   TimePoint steady_now,
                                   std::chrono::system_clock::time_point wall_now) {
  TimePoint deadline = TimePoint::max();
  if (!x_timeout_ms.empty()) {
    std::uint64_t ms = 0;
    const auto [ptr, ec] =
        std::from_chars(x_timeout_ms.data(), x_timeout_ms.data() + x_timeout_ms.size(), ms);
    if (ec != std::errc{} || ptr != x_timeout_ms.data() + x_timeout_ms.size() ||
        ms > 86'400'000ULL * 365) {
      return fail(ErrorCode::InvalidParams, "X-Timeout-Ms must be a whole number of milliseconds.",
                  "X-Timeout-Ms");
    }
    deadline = steady_now + Millis(ms);
  }
  if (!x_deadline.empty()) {
    const auto wall = parse_rfc3339(x_deadline);
    if (!wall) {
      return fail(ErrorCode::InvalidParams,
                  "X-Deadline must be an RFC 3339 timestamp such as 2026-01-02T15:04:05Z.",
                  "X-Deadline");
    }
    // More than a year away is no deadline in practice (and keeps the arithmetic in range).
    if (*wall - wall_now < std::chrono::hours(24 * 365)) {
      const auto remaining = std::chrono::duration_cast<Clock::duration>(*wall - wall_now);
      const TimePoint d = steady_now + remaining;
      if (d < deadline) deadline = d;
    }
  }
  return deadline;
}

}  // namespace sy::api
