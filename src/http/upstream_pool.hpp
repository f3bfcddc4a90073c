#pragma once
// UpstreamPool: idle keep-alive connections to engine endpoints, one pool per I/O thread (so no
// locking). A connection is taken for one request and given back only when its response ended
// cleanly with keep-alive; anything else closes it. Buckets follow the registry: they are made
// when an endpoint id is first used, emptied when its endpoint is retired (forget), and an id
// that comes back with a new endpoint (another serial) never gets the old one's connections.

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
  UpstreamPool(boost::asio::any_io_executor ex, std::size_t max_idle_per_endpoint);

  // An idle connection, or a new one connected within `connect_timeout`. Errors: the connect
  // error (timed_out when the timeout fired).
  [[nodiscard]] boost::asio::awaitable<boost::system::error_code> acquire(
      const control::EndpointInfo& endpoint, Millis connect_timeout, UpstreamConnection& out);
  // A fresh connection, never an idle one (after a reused connection turned out stale).
  [[nodiscard]] boost::asio::awaitable<boost::system::error_code> connect_fresh(
      const control::EndpointInfo& endpoint, Millis connect_timeout, UpstreamConnection& out);
  // Gives a connection back for reuse.
  void put_back(const control::EndpointInfo& endpoint, boost::asio::ip::tcp::socket socket);
  // Closes the idle connections of `endpoint` (it was retired).
  void forget(control::EndpointId id, std::uint64_t serial);
  // Idle connections held now (tests, metrics).
  [[nodiscard]] std::size_t idle_count() const noexcept;

 private:
  struct Idle {
    boost::asio::ip::tcp::socket socket;
    TimePoint since;
  };
  struct Bucket {
    std::uint64_t serial = 0;  // the endpoint the connections go to
    std::vector<Idle> idle;
  };
  // The bucket of `endpoint`, emptied first if it held another endpoint's connections.
  Bucket& bucket(const control::EndpointInfo& endpoint);

  boost::asio::any_io_executor ex_;
  std::vector<Bucket> buckets_;  // by endpoint id
  std::size_t max_idle_;
};

}  // namespace sy::http
