#pragma once
// place(): the pure decision of which endpoint runs a request.
//
// An endpoint is feasible for a request when
//   - its pool lists the model,
//   - the pool's ctx_max >= needed_ctx,
//   - the endpoint is ready and its breaker allows a request,
//   - it is not in `excluded`, and
//   - its in-flight count is below the pool's slots.
// The preferred endpoint (session affinity) wins when it is feasible. Otherwise the least loaded
// feasible endpoint wins, load being in_flight / slots compared as cross-multiplied integers; ties
// go to fewer in-flight requests, then to the lowest endpoint index, so the result is
// deterministic.
//
// When nothing is feasible, `failure` names the first reason in this order:
//   NoPoolForModel  no pool lists the model;
//   ContextTooLarge every pool listing the model has ctx_max < needed_ctx;
//   NoReadyEndpoint no endpoint of a fitting pool is ready, allowed by its breaker and not
//   excluded; AllBusy         such endpoints exist but all are at their pool's slots.
//
// O(endpoints of the model's pools). Pure: safe on any thread, given the caller's spans stay valid.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "placement/registry_snapshot.hpp"

namespace sy::placement {

struct PlacementRequest {
  std::string_view model;
  std::uint32_t needed_ctx = 0;
  std::optional<std::uint32_t> preferred_endpoint;  // from session affinity
  std::span<const std::uint32_t> excluded;          // endpoints already tried
};

enum class PlacementFailure : std::uint8_t {
  NoPoolForModel,
  ContextTooLarge,
  NoReadyEndpoint,
  AllBusy
};

[[nodiscard]] std::string_view to_string(PlacementFailure failure) noexcept;

struct PlacementResult {
  std::optional<std::uint32_t> endpoint;
  PlacementFailure failure = PlacementFailure::NoPoolForModel;  // meaningful only when !endpoint
};

// in_flight[i]: requests running on endpoint i. breaker_allows[i]: endpoint i's breaker permits a
// request now. Both are indexed by endpoint index; an index past a span's end reads as 0 in flight
// and as "breaker allows" (breakers start Closed). Note that std::vector<bool> cannot be viewed as
// std::span<const bool>; hold the flags in a plain bool array.
[[nodiscard]] PlacementResult place(const RegistrySnapshot& snapshot,
                                    std::span<const std::uint32_t> in_flight,
                                    std::span<const bool> breaker_allows,
                                    const PlacementRequest& request);

// True when an endpoint outside `excluded` could take the request: its pool lists the model and
// fits needed_ctx, and it is ready and not ejected by its breaker (slots aside: it may queue).
// Decides whether a failed attempt is worth retrying elsewhere.
[[nodiscard]] bool has_untried_endpoint(const RegistrySnapshot& snapshot, std::string_view model,
                                        std::uint32_t needed_ctx,
                                        std::span<const std::uint32_t> excluded);

}  // namespace sy::placement
