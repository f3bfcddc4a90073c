#pragma once
// cap_ejections(): how much of a model's capacity circuit breakers may take out at once.
//
// A breaker opens after consecutive failed requests on its endpoint, and those failures may all
// be one client's doing (a request the engine cannot handle) while the engine's health probes
// keep passing. So breakers act as outlier ejection, as in Envoy: for every model, at most
// `max_percent` of its ready endpoints (rounded down) may be ejected at once, and never the last
// one. Endpoints beyond that share go back into service ("panic routing") although their breaker
// is open; whether an endpoint is down for everyone is the health probes' call, not the breakers'.
// Which ones go back: those whose breaker opened most recently, so the first-judged outliers stay
// out.
//
// Pure: no I/O, no clock. Safe on any thread.

#include <cstdint>
#include <span>
#include <vector>

#include "common/clock.hpp"
#include "placement/registry_snapshot.hpp"

namespace sy::placement {

// The endpoints of each model's pools, one list per model (any order of models).
using ModelEndpoints = std::vector<std::vector<std::uint32_t>>;

// Builds the per-model endpoint lists of `snapshot` (once per snapshot, not per decision).
[[nodiscard]] ModelEndpoints model_endpoints(const RegistrySnapshot& snapshot);

// The most endpoints of `ready` ones that breakers may take out: floor(ready * max_percent /
// 100), and at most ready - 1.
[[nodiscard]] std::uint32_t max_ejected(std::uint32_t ready, std::uint32_t max_percent) noexcept;

// allows[e]: whether endpoint e's breaker lets a request through now; on return, also true for
// every endpoint the cap put back in service, which is then marked in panic[e] (panic is cleared
// first). opened_at[e]: when e's breaker last opened (orders the ejections). All spans are
// indexed by endpoint and at least snapshot.endpoints.size() long. Returns the number of
// endpoints put back.
std::uint32_t cap_ejections(const RegistrySnapshot& snapshot, const ModelEndpoints& models,
                            std::span<bool> allows, std::span<const TimePoint> opened_at,
                            std::uint32_t max_percent, std::span<bool> panic);

}  // namespace sy::placement
