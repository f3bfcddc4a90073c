#include "relay/exchange_errors.hpp"

#include <fmt/format.h>

namespace sy::relay {

using telemetry::UpstreamErrorKind;

Error engine_failure(UpstreamErrorKind kind, std::string_view url) {
  switch (kind) {
    case UpstreamErrorKind::Connect:
      return Error{ErrorCode::UpstreamError,
                   fmt::format("Could not connect to the engine at {}.", url),
                   {},
                   0};
    case UpstreamErrorKind::Timeout:
      return Error{ErrorCode::UpstreamTimeout,
                   fmt::format("The engine at {} did not answer in time.", url),
                   {},
                   0};
    case UpstreamErrorKind::Stalled:
      return Error{
          ErrorCode::StreamStalled, "The engine stopped sending tokens (stall timeout).", {}, 0};
    case UpstreamErrorKind::Status5xx:
      return Error{ErrorCode::UpstreamError,
                   fmt::format("The engine at {} answered with a server error.", url),
                   {},
                   0};
    default:
      return Error{ErrorCode::UpstreamError,
                   "The engine closed the connection before finishing its answer.",
                   {},
                   0};
  }
}

Error aborted_error(AbortReason reason) {
  if (reason == AbortReason::EndpointRemoved) {
    return Error{ErrorCode::EndpointRemoved,
                 "The engine serving the request was removed from the configuration and its "
                 "drain deadline passed; the request was ended.",
                 {},
                 0};
  }
  return Error{
      ErrorCode::ShuttingDown, "The server is shutting down; the request was ended.", {}, 1000};
}

std::optional<std::uint32_t> parse_retry_after_seconds(std::string_view value) {
  if (value.empty() || value.size() > 6) return std::nullopt;
  std::uint32_t seconds = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = seconds * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return seconds;
}

}  // namespace sy::relay
