#pragma once
// ClientWatch: notices at once when a client goes away while its request is queued or streaming.
//
// A readability wait stays pending on the client socket for the life of the request (no buffer is
// held). When the socket turns readable with EOF or an error, the watch marks the client gone,
// wakes whoever waits (an AdmissionWaiter) and closes the engine connection, so the engine stops
// generating immediately (no polling): it tells its GoneListener at once. Bytes that do arrive (a
// pipelined next request) are kept in the connection's buffer. What "tell" means is the listener's
// business (relay/client_gone.hpp).
//
// Thread: the request's I/O thread only. Owned by the request's coroutine through a shared_ptr
// that the pending read's handler also holds; stop() + co_await stopped() must run before the
// socket or buffer go away.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstdint>
#include <memory>

#include "common/clock.hpp"
#include "relay/stream_sink.hpp"

namespace sy::http {

class ClientWatch : public std::enable_shared_from_this<ClientWatch> {
 public:
  ClientWatch(boost::asio::ip::tcp::socket& client, boost::beast::flat_buffer& buffer);

  void start();
  // Who hears when the client leaves (nullptr: nobody right now).
  void set_listener(relay::GoneListener* listener) noexcept { listener_ = listener; }
  // Records that a write to the client failed: the client is gone even if no EOF arrived.
  void mark_gone() noexcept;

  [[nodiscard]] bool client_gone() const noexcept { return gone_; }

  void stop();
  [[nodiscard]] boost::asio::awaitable<void> stopped();

 private:
  void arm();
  void on_readable(boost::system::error_code ec);
  // Reads what is readable now into buffer_; an error (EOF included) means the client is gone.
  boost::system::error_code drain_readable();

  boost::asio::ip::tcp::socket& client_;
  boost::beast::flat_buffer& buffer_;
  relay::GoneListener* listener_ = nullptr;
  bool stopping_ = false;
  bool reading_ = false;
  bool gone_ = false;
};

}  // namespace sy::http
