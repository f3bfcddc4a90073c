#include "telemetry/log.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/json_writer.hpp"

namespace sy::telemetry {
namespace {

std::shared_ptr<spdlog::logger> g_logger;
std::atomic<int> g_level{static_cast<int>(LogLevel::Info)};

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Trace:
      return "trace";
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
    case LogLevel::Off:
      return "off";
  }
  return "info";
}

}  // namespace

bool parse_log_level(std::string_view text, LogLevel& out) noexcept {
  for (LogLevel l : {LogLevel::Trace, LogLevel::Debug, LogLevel::Info, LogLevel::Warn,
                     LogLevel::Error, LogLevel::Off}) {
    if (text == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void init_logging(LogLevel level) {
  g_level.store(static_cast<int>(level));
  if (g_logger) return;
  spdlog::init_thread_pool(8192, 1);
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  g_logger = std::make_shared<spdlog::async_logger>("switchyard", sink, spdlog::thread_pool(),
                                                    spdlog::async_overflow_policy::overrun_oldest);
  g_logger->set_pattern("%v");
  g_logger->set_level(spdlog::level::trace);
  g_logger->flush_on(spdlog::level::trace);
}

void set_log_level(LogLevel level) noexcept { g_level.store(static_cast<int>(level)); }

void shutdown_logging() {
  if (g_logger) g_logger->flush();
  // Join the async writer thread first (it drains every queued line and drops its references to
  // the logger), then release ours: the logger is never destroyed under the writer's feet.
  spdlog::shutdown();
  g_logger.reset();
}

bool log_enabled(LogLevel level) noexcept {
  return level != LogLevel::Off &&
         static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void log_event(LogLevel level, std::string_view event, std::string_view correlation_id,
               std::string_view narration, std::initializer_list<LogField> fields) {
  if (!log_enabled(level) || !g_logger) return;
  thread_local std::string line;
  line.clear();
  JsonWriter w(line);
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  w.begin_object();
  w.field("ts", std::string_view(fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z",
                                             fmt::gmtime(std::chrono::system_clock::to_time_t(now)),
                                             static_cast<int>(ms.count() % 1000))));
  w.field("level", level_name(level));
  w.field("event", event);
  if (!correlation_id.empty()) w.field("correlation_id", correlation_id);
  w.field("narration", narration);
  for (const LogField& f : fields) {
    w.key(f.key);
    std::visit([&](auto v) { w.value(v); }, f.value);
  }
  w.end_object();
  g_logger->log(spdlog::level::info, "{}", line);
}

}  // namespace sy::telemetry
