#pragma once
// Static facts about one engine endpoint. Immutable once published: a change of configuration
// makes a new EndpointInfo (shared_ptr), so a request that holds one keeps a consistent view.

#include <cstdint>
#include <string>

#include "engines/engine_protocol.hpp"

namespace sy::control {

// Stable for the endpoint's life (the position in the registry's tables); reused only after the
// endpoint was removed and drained.
using EndpointId = std::uint32_t;

struct EndpointInfo {
  EndpointId id = 0;
  std::uint64_t serial = 0;  // unique for the process's life: tells endpoints of one id apart
  std::uint32_t pool_index = 0;
  std::string pool_id;
  std::string url;
  std::string host;
  std::uint16_t port = 0;
  std::string base_path;
  std::string host_header;  // "host:port"
  std::string health_path;
  engines::Protocol protocol = engines::Protocol::OpenAI;
};

}  // namespace sy::control
