#pragma once
// What the pipeline knows about a client request apart from its body: where it came in, when,
// and the headers Switchyard interprets, as sent. Transport-neutral: an HTTP/1.1 connection fills
// it from the request head; other transports will fill it their way.

#include <string>

#include "common/clock.hpp"
#include "telemetry/serve_metrics.hpp"

namespace sy::relay {

struct RequestInfo {
  std::string correlation_id;
  TimePoint arrived;
  telemetry::Route route = telemetry::Route::Other;
  std::string priority;    // X-Priority
  std::string deadline;    // X-Deadline
  std::string timeout_ms;  // X-Timeout-Ms
  std::string session_id;  // X-Session-Id
};

}  // namespace sy::relay
