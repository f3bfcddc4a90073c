#pragma once
// One active health probe: GET <health_path> on an endpoint, true on a 2xx answer within the
// timeout. Runs on the control thread; never throws.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>

#include "control/endpoint_info.hpp"

namespace sy::http {

// Where a running probe shows its socket, so that shutdown can close it and end the probe at once.
struct ProbeSlot {
  boost::asio::ip::tcp::socket* socket = nullptr;
};

// `endpoint` and `slot` outlive the probe.
[[nodiscard]] boost::asio::awaitable<bool> probe_endpoint(const control::EndpointInfo* endpoint,
                                                          std::uint32_t timeout_ms,
                                                          ProbeSlot* slot);

}  // namespace sy::http
