#pragma once
// Http1EngineConnector: the relay's engine connections (relay/engine_connection.hpp) over plain
// HTTP/1.1 TCP, with this I/O thread's pool of idle keep-alive connections. The response head is
// read with Beast (bounded to 64 KiB); the body is unframed by hand (BodyFramer) straight out of
// the caller's read buffer, with no copy: chunk headers are squeezed out in place, so the relay
// sees plain body bytes. Thread: one I/O thread (the pool is not shared).

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "http/upstream_pool.hpp"
#include "relay/engine_connection.hpp"

namespace sy::http {

class Http1EngineConnector final : public relay::EngineConnector {
 public:
  // `timers`: the I/O thread's (connect timeouts).
  Http1EngineConnector(boost::asio::any_io_executor ex, relay::ThreadTimers& timers,
                       std::size_t max_idle_per_endpoint)
      : ex_(ex), pool_(ex, timers, max_idle_per_endpoint) {}

  [[nodiscard]] boost::asio::awaitable<boost::system::error_code> acquire(
      const control::EndpointInfo& endpoint, Millis connect_timeout,
      std::unique_ptr<relay::EngineConnection>& out) override;
  // Closes the idle connections of a retired endpoint.
  void forget(control::EndpointId id, std::uint64_t serial) { pool_.forget(id, serial); }

 private:
  boost::asio::any_io_executor ex_;
  UpstreamPool pool_;
};

}  // namespace sy::http
