#pragma once
// What the pipeline knows about a client request apart from its body: where it came in, when,
// under which configuration, and the headers Switchyard interprets, as sent. Transport-neutral:
// an HTTP/1.1 connection fills it from the request head; other transports will fill it their way.
// It lives in the connection's coroutine frame for a stream's whole life, so it is kept small.

#include <memory>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/packed_strings.hpp"
#include "config/config.hpp"
#include "telemetry/serve_metrics.hpp"

namespace sy::relay {

struct RequestInfo {
  std::string correlation_id;
  TimePoint arrived;
  telemetry::Route route = telemetry::Route::Other;
  // The X- headers the pipeline interprets, as sent (see the accessors; most requests send none).
  PackedStrings<5> headers;
  // The configuration in force when the request was admitted: a reload changes nothing for it.
  std::shared_ptr<const config::Config> config;

  [[nodiscard]] std::string_view priority() const noexcept {  // X-Priority
    return headers.get(0);
  }
  [[nodiscard]] std::string_view deadline() const noexcept {  // X-Deadline
    return headers.get(1);
  }
  [[nodiscard]] std::string_view timeout_ms() const noexcept {  // X-Timeout-Ms
    return headers.get(2);
  }
  [[nodiscard]] std::string_view session_id() const noexcept {  // X-Session-Id
    return headers.get(3);
  }
  [[nodiscard]] std::string_view last_event_id() const noexcept {  // Last-Event-ID
    return headers.get(4);
  }
};

}  // namespace sy::relay
