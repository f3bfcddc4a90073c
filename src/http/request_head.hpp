#pragma once
// What Switchyard reads from a client request's head: the route, the connection's keep-alive and
// HTTP version, the correlation id to echo, the X- headers it interprets, whether to answer
// `100 Continue`, and whether the announced body is over the limit. Pure and free of Beast, so the
// fuzz target (tests/fuzz/http_request_fuzz.cpp) runs exactly what the connection runs.
//
// head_fields() is a template only so that this header needs no Beast include: it is called with
// a boost::beast::http::request_parser<...> whose header is complete. The views it returns point
// into that parser's header and are valid while the parser lives and is not reset.
//
// Thread: pure functions, any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "telemetry/serve_metrics.hpp"  // telemetry::Route

namespace sy::http {

// GET /v1/models/{model} starts with this.
inline constexpr std::string_view kModelPathPrefix = "/v1/models/";
// GET /v1/pools/{id}/health starts with this.
inline constexpr std::string_view kPoolPathPrefix = "/v1/pools/";
// Every route of one task (/v1/tasks/{id}, .../stream, .../cancel) starts with this.
inline constexpr std::string_view kTaskPathPrefix = "/v1/tasks/";

// The head as the HTTP parser saw it.
struct RequestHeadFields {
  std::string_view method;  // the method token as sent, e.g. "POST"
  std::string_view target;  // request-target, query string included
  unsigned version = 11;    // 10 for HTTP/1.0, 11 for HTTP/1.1
  bool keep_alive = true;   // the parser's reading of version + Connection
  std::optional<std::uint64_t> content_length;
  bool body_done = false;  // the parser already has the whole message (no body, or all of it)
  std::string_view correlation_id;  // X-Correlation-Id
  std::string_view priority;        // X-Priority
  std::string_view deadline;        // X-Deadline
  std::string_view timeout_ms;      // X-Timeout-Ms
  std::string_view session_id;      // X-Session-Id
  std::string_view last_event_id;   // Last-Event-ID (a task stream's resume point)
  std::string_view expect;          // Expect
  std::string_view authorization;   // Authorization
};

// The fields of a Beast request parser whose header is done (see the file comment).
template <typename Parser>
[[nodiscard]] RequestHeadFields head_fields(const Parser& parser) {
  const auto& req = parser.get();
  RequestHeadFields f;
  f.method = req.method_string();
  f.target = req.target();
  f.version = req.version();
  f.keep_alive = req.keep_alive();
  if (const auto length = parser.content_length()) f.content_length = *length;
  f.body_done = parser.is_done();
  f.correlation_id = req["X-Correlation-Id"];
  f.priority = req["X-Priority"];
  f.deadline = req["X-Deadline"];
  f.timeout_ms = req["X-Timeout-Ms"];
  f.session_id = req["X-Session-Id"];
  f.last_event_id = req["Last-Event-ID"];
  f.expect = req["Expect"];
  f.authorization = req["Authorization"];
  return f;
}

// The interpretation. Views point into the RequestHeadFields' storage.
struct RequestHead {
  telemetry::Route route = telemetry::Route::Other;
  std::string_view path;  // the target without its query string
  bool keep_alive = true;
  bool http10 = false;     // the client spoke HTTP/1.0
  bool head_only = false;  // a HEAD request
  // The client's X-Correlation-Id when it is acceptable to echo (common/ids.hpp), else empty:
  // the caller then generates one.
  std::string_view correlation_id;
  // Headers Switchyard interprets later (api/deadline.hpp, the priority and session affinity),
  // as sent; empty when absent.
  std::string_view priority;
  std::string_view deadline;
  std::string_view timeout_ms;
  std::string_view session_id;
  std::string_view last_event_id;
  // The token of `Authorization: Bearer <token>` (the scheme is case-insensitive); empty when
  // absent or of another scheme. Only the admin routes read it.
  std::string_view bearer_token;
  // Content-Length above max_body_bytes: answer 413 without reading the body.
  bool body_too_large = false;
  // `Expect: 100-continue` and the body is still to come: send `100 Continue` before reading it.
  bool send_continue = false;
};

[[nodiscard]] RequestHead interpret_request_head(const RequestHeadFields& fields,
                                                 std::uint64_t max_body_bytes) noexcept;

// The route of a path (no query string).
[[nodiscard]] telemetry::Route route_of(std::string_view path) noexcept;

// Decodes the %XX escapes of a path segment (model ids such as "org/name" arrive as
// "org%2Fname") into `out`. False on a malformed escape (`out` then holds a prefix).
[[nodiscard]] bool percent_decode(std::string_view in, std::string& out);

}  // namespace sy::http
