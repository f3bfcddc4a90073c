#pragma once
// The errors an exchange reports, and small helpers the phases share. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "relay/live_exchanges.hpp"
#include "telemetry/serve_metrics.hpp"

namespace sy::relay {

// What the client is told when an engine fails in the way `kind` names.
[[nodiscard]] Error engine_failure(telemetry::UpstreamErrorKind kind, std::string_view url);
// What the client is told when the exchange was ended from outside (shutdown, or the end of a
// removed endpoint's drain).
[[nodiscard]] Error aborted_error(AbortReason reason);
// Retry-After as delta-seconds (the form engines send); nullopt for an HTTP-date or garbage.
[[nodiscard]] std::optional<std::uint32_t> parse_retry_after_seconds(std::string_view value);

}  // namespace sy::relay
