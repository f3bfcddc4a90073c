#pragma once
// The relay's view of one connection to an engine: send a request, read the answer's head, read
// its body already unframed. The HTTP/1.1 implementation (http/engine_connection.*) owns the
// socket, Beast's head parser and the per-thread idle pool; the relay sees none of them, so a
// second engine transport (TLS, an agent tunnel) is another implementation of this interface.
//
// Thread: one I/O thread; an object serves one exchange at a time.

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "control/endpoint_info.hpp"

namespace sy::relay {

// What the relay decides on in the engine's response head.
struct EngineHead {
  unsigned status = 0;
  bool event_stream = false;  // Content-Type: text/event-stream
  std::string content_type;   // as sent; empty when absent
  std::string retry_after;    // as sent; empty when absent
};

// One read of the engine's body.
struct BodyRead {
  boost::system::error_code error;  // eof, a reset, operation_aborted after abort()...
  std::string_view payload;         // body bytes, unframed; valid until the next co_await
  bool end = false;                 // the body is complete (its framing ended, or the close did)
  bool framing_error = false;       // the body's framing is broken (a bad chunk header...)
};

class EngineConnection {
 public:
  virtual ~EngineConnection() = default;

  // The connection came from the idle pool, so the engine may have closed it meanwhile.
  [[nodiscard]] virtual bool reused() const noexcept = 0;
  // Writes the request's head and body.
  [[nodiscard]] virtual boost::asio::awaitable<boost::system::error_code> write_request(
      std::string_view head, std::string_view body) = 0;
  // Reads the response head (bounded); the body's framing is taken from it.
  [[nodiscard]] virtual boost::asio::awaitable<boost::system::error_code> read_head(
      EngineHead& head) = 0;
  // Body bytes: first those that came with the head, then one read. The payload lies in `buffer`
  // (which the caller may share with other streams) or in the connection's own small buffer; it
  // is consumed before the caller next suspends.
  [[nodiscard]] virtual boost::asio::awaitable<BodyRead> read_body(std::span<char> buffer) = 0;
  // Looks again, while read_body waits, for an end of the body that the transport may not have
  // signalled (an engine's close that arrived with its last bytes: http/edge_read.hpp). Called
  // when the stream has been quiet for a while; cheap, and a no-op when nothing waits.
  virtual void recheck() noexcept = 0;
  // Replaces a stale reused connection with a fresh one.
  [[nodiscard]] virtual boost::asio::awaitable<boost::system::error_code> reconnect(
      Millis connect_timeout) = 0;
  // Closes at once: the engine sees the close and stops generating; pending operations end.
  virtual void abort() noexcept = 0;
  // Ends the exchange: the connection goes back to the idle pool when its body was read to the
  // end and the engine keeps it alive; otherwise it is closed.
  virtual void finish(bool body_complete) noexcept = 0;
};

class EngineConnector {
 public:
  virtual ~EngineConnector() = default;
  // An idle connection to `endpoint`, or a new one connected within `connect_timeout`. Errors:
  // the connect error (timed_out when the timeout fired).
  [[nodiscard]] virtual boost::asio::awaitable<boost::system::error_code> acquire(
      const control::EndpointInfo& endpoint, Millis connect_timeout,
      std::unique_ptr<EngineConnection>& out) = 0;
};

}  // namespace sy::relay
