#pragma once
// Structured JSON-lines logging. Each line carries a timestamp, level, event name, the
// correlation id and a short human sentence (`narration`), plus typed fields. Lines go to an
// asynchronous spdlog logger whose queue drops the oldest line when full, so an I/O thread never
// blocks on a slow log consumer. Callable from any thread.

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <variant>

namespace sy::telemetry {

enum class LogLevel { Trace, Debug, Info, Warn, Error, Off };

[[nodiscard]] bool parse_log_level(std::string_view text, LogLevel& out) noexcept;

// Sets up the process-wide logger (stderr). Call once at startup, before threads start.
void init_logging(LogLevel level);
// Changes the level at run time (a reload); any thread.
void set_log_level(LogLevel level) noexcept;
// Flushes and stops the async logger; call at the end of main.
void shutdown_logging();
[[nodiscard]] bool log_enabled(LogLevel level) noexcept;

struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool> value;
};

void log_event(LogLevel level, std::string_view event, std::string_view correlation_id,
               std::string_view narration, std::initializer_list<LogField> fields = {});

}  // namespace sy::telemetry
