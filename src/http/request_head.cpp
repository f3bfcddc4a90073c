#include "http/request_head.hpp"

#include "common/ids.hpp"

namespace sy::http {
namespace {

// ASCII case-insensitive equality: header values such as `100-Continue` are tokens, and the
// locale must not decide how they compare.
bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

telemetry::Route route_of(std::string_view path) noexcept {
  if (path == "/v1/chat/completions") return telemetry::Route::ChatCompletions;
  if (path == "/v1/completions") return telemetry::Route::Completions;
  if (path == "/v1/models" ||
      (path.starts_with(kModelPathPrefix) && path.size() > kModelPathPrefix.size()))
    return telemetry::Route::Models;
  if (path == "/health") return telemetry::Route::Health;
  if (path == "/ready") return telemetry::Route::Ready;
  if (path == "/metrics") return telemetry::Route::Metrics;
  if (path == "/admin/reload") return telemetry::Route::AdminReload;
  if (path == "/v1/tasks") return telemetry::Route::TaskSubmit;
  if (path.starts_with(kTaskPathPrefix) && path.size() > kTaskPathPrefix.size()) {
    const std::string_view rest = path.substr(kTaskPathPrefix.size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return telemetry::Route::TaskStatus;
    if (slash > 0 && rest.substr(slash) == "/stream") return telemetry::Route::TaskStream;
    if (slash > 0 && rest.substr(slash) == "/cancel") return telemetry::Route::TaskCancel;
  }
  if (path == "/openapi.yaml") return telemetry::Route::OpenApi;
  if (path == "/v1/capabilities") return telemetry::Route::Capabilities;
  if (path == "/v1/pools") return telemetry::Route::Pools;
  if (path.starts_with(kPoolPathPrefix) && path.ends_with("/health") &&
      path.size() > kPoolPathPrefix.size() + 7 &&
      path.substr(kPoolPathPrefix.size()).find('/') == path.size() - kPoolPathPrefix.size() - 7) {
    return telemetry::Route::PoolHealth;
  }
  return telemetry::Route::Other;
}

RequestHead interpret_request_head(const RequestHeadFields& f,
                                   std::uint64_t max_body_bytes) noexcept {
  RequestHead h;
  h.path = f.target.substr(0, f.target.find('?'));
  h.route = route_of(h.path);
  h.keep_alive = f.keep_alive;
  h.http10 = f.version == 10;
  h.head_only = f.method == "HEAD";
  if (is_acceptable_correlation_id(f.correlation_id)) h.correlation_id = f.correlation_id;
  h.priority = f.priority;
  h.deadline = f.deadline;
  h.timeout_ms = f.timeout_ms;
  h.session_id = f.session_id;
  h.last_event_id = f.last_event_id;
  if (f.authorization.size() > 7 && iequals_ascii(f.authorization.substr(0, 7), "Bearer ")) {
    h.bearer_token = f.authorization.substr(7);
  }
  h.body_too_large = f.content_length && *f.content_length > max_body_bytes;
  h.send_continue = iequals_ascii(f.expect, "100-continue") && !f.body_done;
  return h;
}

bool percent_decode(std::string_view in, std::string& out) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex(in[i + 1]);
    const int lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

}  // namespace sy::http
