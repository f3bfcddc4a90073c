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
#include "relay/thread_timers.hpp"

namespace sy::http {

struct UpstreamConnection {
  boost::asio::ip::tcp::socket socket;
  bool reused = false;  // came from the idle pool (may have been closed by the engine meanwhile)
};

class UpstreamPool {
 public:
  // `timers`: the I/O thread's, for connect timeouts.
  UpstreamPool(boost::asio::any_io_executor ex, relay::ThreadTimers& timers,
               std::size_t max_idle_per_endpoint);

  // Moves an idle connection to `endpoint` that is still usable into `out`; false if none.
  bool take_idle(const control::EndpointInfo& endpoint, UpstreamConnection& out);
  // A fresh connection, connected within `connect_timeout` in `out.socket` (which it replaces).
  // Errors: the connect error (timed_out when the timeout fired).
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
  // The address of `endpoint`'s host name.
  [[nodiscard]] boost::asio::awaitable<boost::system::error_code> resolve(
      const control::EndpointInfo& endpoint, boost::asio::ip::tcp::endpoint& out);
  // The bucket of `endpoint`, emptied first if it held another endpoint's connections.
  Bucket& bucket(const control::EndpointInfo& endpoint);

  boost::asio::any_io_executor ex_;
  relay::ThreadTimers& timers_;
  std::vector<Bucket> buckets_;  // by endpoint id
  std::size_t max_idle_;
};

}  // namespace sy::http
