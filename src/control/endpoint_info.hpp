#pragma once
// Static facts about one engine endpoint, fixed at startup (index = position in the list).

#include <cstdint>
#include <string>

#include "engines/engine_protocol.hpp"

namespace sy::control {

struct EndpointInfo {
  std::uint32_t index = 0;
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
