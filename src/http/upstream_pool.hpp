#pragma once
// UpstreamPool: idle keep-alive connections to engine endpoints, one pool per I/O thread (so no
// locking). A connection is taken for one request and given back only when its response ended
// cleanly with keep-alive; anything else closes it.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <vector>

#include "common/clock.hpp"
#include "control/endpoint_info.hpp"

namespace sy::http {

struct UpstreamConnection {
  boost::asio::ip::tcp::socket socket;
  bool reused = false;  // came from the idle pool (may have been closed by the engine meanwhile)
};

class UpstreamPool {
 public:
  UpstreamPool(boost::asio::any_io_executor ex, std::size_t endpoints,
               std::size_t max_idle_per_endpoint);

  // An idle connection, or a new one connected within `connect_timeout`. Errors: the connect
  // error (timed_out when the timeout fired).
  [[nodiscard]] boost::asio::awaitable<boost::system::error_code> acquire(
      const control::EndpointInfo& endpoint, Millis connect_timeout, UpstreamConnection& out);
  // A fresh connection, never an idle one (after a reused connection turned out stale).
  [[nodiscard]] boost::asio::awaitable<boost::system::error_code> connect_fresh(
      const control::EndpointInfo& endpoint, Millis connect_timeout, UpstreamConnection& out);
  // Gives a connection back for reuse.
  void put_back(std::uint32_t endpoint, boost::asio::ip::tcp::socket socket);

 private:
  struct Idle {
    boost::asio::ip::tcp::socket socket;
    TimePoint since;
  };
  boost::asio::any_io_executor ex_;
  std::vector<std::vector<Idle>> idle_;
  std::size_t max_idle_;
};

}  // namespace sy::http
