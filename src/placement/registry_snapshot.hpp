#pragma once
// RegistrySnapshot: an immutable view of the configured pools and their endpoints.
//
// Ownership and threads: the control strand builds a new snapshot whenever readiness, breakers or
// configuration change and publishes it as std::shared_ptr<const RegistrySnapshot> (the caller
// swaps that pointer atomically); I/O threads read it without locks. Nothing here mutates after
// publication, so every const member is safe to call from any thread.
//
// Indices: EndpointSnapshot::index is the endpoint's id and its position in `endpoints`, and
// PoolSnapshot::endpoint_indices refer to those positions. An id is stable for the endpoint's
// whole life, across snapshots (the publisher guarantees it), so per-endpoint state elsewhere is
// keyed by it. The registry changes at run time: an id may be unused (serial 0), or belong to an
// endpoint that was removed and drains (listed by no pool, so nothing places work on it). An id
// is reused only after its endpoint drained; `serial` tells the two endpoints apart.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sy::placement {

enum class BreakerState : std::uint8_t { Closed, Open, HalfOpen };

[[nodiscard]] std::string_view to_string(BreakerState state) noexcept;

struct EndpointSnapshot {
  std::uint32_t index = 0;
  std::uint32_t pool_index = 0;
  std::string url;
  bool ready = false;
  BreakerState breaker = BreakerState::Closed;
  // Out of service because of its breaker: Open, and within the share of the model's endpoints
  // that breakers may take out (see ejection_cap.hpp). An Open endpoint beyond that share keeps
  // serving and is not ejected.
  bool ejected = false;
  std::uint64_t serial = 0;  // unique per endpoint for the process's life; 0: the id is unused
};

struct PoolSnapshot {
  std::string id;
  std::vector<std::string> models;
  std::uint32_t slots = 0;    // concurrent requests each endpoint of the pool accepts
  std::uint32_t ctx_max = 0;  // largest context (prompt + max_tokens) the pool's engines accept
  std::vector<std::uint32_t> endpoint_indices;
};

struct RegistrySnapshot {
  std::uint64_t version = 0;
  std::vector<PoolSnapshot> pools;
  std::vector<EndpointSnapshot> endpoints;

  // True when at least one endpoint of the pool is ready and not ejected.
  // False for an out-of-range pool_index.
  [[nodiscard]] bool pool_ready(std::uint32_t pool_index) const;
  [[nodiscard]] bool any_pool_ready() const;
  // Models listed by ready pools, sorted and without duplicates.
  [[nodiscard]] std::vector<std::string> ready_models() const;
  // True when any pool (ready or not) lists `model`.
  [[nodiscard]] bool serves_model(std::string_view model) const;
  // True when a ready pool lists `model`.
  [[nodiscard]] bool model_ready(std::string_view model) const;
  // Every model any pool lists, sorted and without duplicates.
  [[nodiscard]] std::vector<std::string> all_models() const;
};

// True when `pool` lists `model` (exact, case-sensitive match).
[[nodiscard]] bool pool_serves(const PoolSnapshot& pool, std::string_view model) noexcept;

}  // namespace sy::placement
