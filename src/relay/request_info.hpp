#pragma once
// What the pipeline knows about a client request apart from its body: where it came in, when,
// under which configuration, and the headers Switchyard interprets, as sent. Transport-neutral:
// an HTTP/1.1 connection fills it from the request head; other transports will fill it their way.
// It lives in the connection's coroutine frame for a stream's whole life, so it is kept small.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "config/config.hpp"
#include "telemetry/serve_metrics.hpp"

namespace sy::relay {

// The X- headers the pipeline interprets, as sent, in one string (most requests send none, and
// four strings would cost 128 bytes per stream for nothing).
class RequestHeaders {
 public:
  enum Field : std::uint8_t { Priority, Deadline, TimeoutMs, SessionId, kFields };

  void set(std::string_view priority, std::string_view deadline, std::string_view timeout_ms,
           std::string_view session_id) {
    text_.clear();
    const std::array<std::string_view, kFields> values{priority, deadline, timeout_ms, session_id};
    for (std::size_t i = 0; i < kFields; ++i) {
      text_.append(values[i]);
      end_[i] = static_cast<std::uint32_t>(text_.size());
    }
  }
  [[nodiscard]] std::string_view get(Field f) const noexcept {
    const std::uint32_t begin = f == 0 ? 0 : end_[f - 1];
    return std::string_view(text_).substr(begin, end_[f] - begin);
  }

 private:
  std::string text_;
  std::array<std::uint32_t, kFields> end_{};
};

struct RequestInfo {
  std::string correlation_id;
  TimePoint arrived;
  telemetry::Route route = telemetry::Route::Other;
  RequestHeaders headers;
  // The configuration in force when the request was admitted: a reload changes nothing for it.
  std::shared_ptr<const config::Config> config;

  [[nodiscard]] std::string_view priority() const noexcept {  // X-Priority
    return headers.get(RequestHeaders::Priority);
  }
  [[nodiscard]] std::string_view deadline() const noexcept {  // X-Deadline
    return headers.get(RequestHeaders::Deadline);
  }
  [[nodiscard]] std::string_view timeout_ms() const noexcept {  // X-Timeout-Ms
    return headers.get(RequestHeaders::TimeoutMs);
  }
  [[nodiscard]] std::string_view session_id() const noexcept {  // X-Session-Id
    return headers.get(RequestHeaders::SessionId);
  }
};

}  // namespace sy::relay
