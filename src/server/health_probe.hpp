#pragma once
// One active health probe: GET <health_path> on an endpoint, true on a 2xx answer within the
// timeout. Runs on the control thread; never throws.

#include <boost/asio/awaitable.hpp>
#include <cstdint>

#include "server/endpoint_info.hpp"

namespace sy::server {

[[nodiscard]] boost::asio::awaitable<bool> probe_endpoint(const EndpointInfo& endpoint,
                                                          std::uint32_t timeout_ms);

}  // namespace sy::server
