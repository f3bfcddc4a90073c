#include "placement/placement.hpp"

#include <algorithm>

namespace sy::placement {
namespace {

struct Candidate {
  std::uint32_t endpoint;
  std::uint32_t in_flight;
  std::uint32_t slots;
};

// True when a is strictly less loaded than b (in_flight/slots, then in_flight, then index).
bool less_loaded(const Candidate& a, const Candidate& b) {
  const std::uint64_t lhs = std::uint64_t{a.in_flight} * b.slots;
  const std::uint64_t rhs = std::uint64_t{b.in_flight} * a.slots;
  if (lhs != rhs) return lhs < rhs;
  if (a.in_flight != b.in_flight) return a.in_flight < b.in_flight;
  return a.endpoint < b.endpoint;
}

}  // namespace

std::string_view to_string(PlacementFailure failure) noexcept {
  switch (failure) {
    case PlacementFailure::NoPoolForModel:
      return "no_pool_for_model";
    case PlacementFailure::ContextTooLarge:
      return "context_too_large";
    case PlacementFailure::NoReadyEndpoint:
      return "no_ready_endpoint";
    case PlacementFailure::AllBusy:
      return "all_busy";
  }
  return "no_pool_for_model";  // unreachable for valid enum values
}

PlacementResult place(const RegistrySnapshot& snapshot, std::span<const std::uint32_t> in_flight,
                      std::span<const bool> breaker_allows, const PlacementRequest& request) {
  bool model_served = false;
  bool context_fits = false;
  bool endpoint_available = false;
  std::optional<Candidate> best;
  std::optional<Candidate> preferred;

  for (const PoolSnapshot& pool : snapshot.pools) {
    if (!pool_serves(pool, request.model)) continue;
    model_served = true;
    if (pool.ctx_max < request.needed_ctx) continue;
    context_fits = true;

    for (const std::uint32_t e : pool.endpoint_indices) {
      if (e >= snapshot.endpoints.size() || !snapshot.endpoints[e].ready) continue;
      if (e < breaker_allows.size() && !breaker_allows[e]) continue;
      if (std::find(request.excluded.begin(), request.excluded.end(), e) !=
          request.excluded.end()) {
        continue;
      }
      endpoint_available = true;

      const std::uint32_t load = e < in_flight.size() ? in_flight[e] : 0;
      if (load >= pool.slots) continue;
      const Candidate candidate{e, load, pool.slots};
      if (request.preferred_endpoint == e) preferred = candidate;
      if (!best || less_loaded(candidate, *best)) best = candidate;
    }
  }

  if (preferred) return {preferred->endpoint, {}};
  if (best) return {best->endpoint, {}};
  if (!model_served) return {std::nullopt, PlacementFailure::NoPoolForModel};
  if (!context_fits) return {std::nullopt, PlacementFailure::ContextTooLarge};
  if (!endpoint_available) return {std::nullopt, PlacementFailure::NoReadyEndpoint};
  return {std::nullopt, PlacementFailure::AllBusy};
}

bool has_untried_endpoint(const RegistrySnapshot& snapshot, std::string_view model,
                          std::uint32_t needed_ctx, std::span<const std::uint32_t> excluded) {
  for (const PoolSnapshot& pool : snapshot.pools) {
    if (!pool_serves(pool, model) || pool.ctx_max < needed_ctx) continue;
    for (const std::uint32_t e : pool.endpoint_indices) {
      if (e >= snapshot.endpoints.size()) continue;
      const EndpointSnapshot& endpoint = snapshot.endpoints[e];
      if (!endpoint.ready || endpoint.ejected) continue;
      if (std::find(excluded.begin(), excluded.end(), e) == excluded.end()) return true;
    }
  }
  return false;
}

}  // namespace sy::placement
