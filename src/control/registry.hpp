#pragma once
// Registry: what the control plane publishes to the I/O threads as one immutable snapshot: the
// configuration in force, the placement view (pools, endpoints, readiness, breakers) and each
// endpoint's connection facts by id. One snapshot, so the three always agree: an id seen in the
// placement view is the endpoint described here.
//
// A request reads it once (one atomic load while nothing changed, see SnapshotCell) and keeps
// what it read: a reload in the middle of a request changes nothing for that request.

#include <memory>
#include <vector>

#include "config/config.hpp"
#include "control/endpoint_info.hpp"
#include "placement/registry_snapshot.hpp"

namespace sy::control {

struct Registry {
  std::shared_ptr<const config::Config> config;
  placement::RegistrySnapshot placement;
  std::vector<std::shared_ptr<const EndpointInfo>> endpoints;  // by id; null where unused

  // The endpoint with id `id` in this snapshot, or null.
  [[nodiscard]] std::shared_ptr<const EndpointInfo> endpoint(EndpointId id) const {
    return id < endpoints.size() ? endpoints[id] : nullptr;
  }
};

}  // namespace sy::control
