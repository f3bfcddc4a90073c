#pragma once
// RegistryObserver: told how the registry's endpoints come and go, by the parts that keep
// per-endpoint state outside the control plane (health probes, the I/O threads' idle
// connections and running exchanges). Every call is on the control thread.
//
// An endpoint's life: added (probe it) → removed (a reload dropped it: stop probing; it takes no
// new work and its running requests may finish) → possibly drain_expired (the drain deadline
// passed with requests still running: end them) → retired (nothing runs on it any more: forget
// it; its id may be reused).

#include <memory>

#include "control/endpoint_info.hpp"

namespace sy::control {

class RegistryObserver {
 public:
  virtual ~RegistryObserver() = default;
  virtual void endpoint_added(std::shared_ptr<const EndpointInfo> endpoint) = 0;
  virtual void endpoint_removed(const EndpointInfo& endpoint) = 0;
  virtual void drain_expired(const EndpointInfo& endpoint) = 0;
  virtual void endpoint_retired(const EndpointInfo& endpoint) = 0;
};

}  // namespace sy::control
