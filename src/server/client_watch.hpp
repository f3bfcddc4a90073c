#pragma once
// ClientWatch: notices at once when a client goes away while its request is queued or streaming.
//
// A readability wait stays pending on the client socket for the life of the request (no buffer is
// held). When the socket turns readable with EOF or an error, the watch marks the client gone,
// wakes whoever waits (an AdmissionWaiter) and closes the engine connection, so the engine stops
// generating immediately (no polling). Bytes that do arrive (a pipelined next request) are kept in
// the connection's buffer.
//
// Thread: the request's I/O thread only. Owned by the request's coroutine through a shared_ptr
// that the pending read's handler also holds; stop() + co_await stopped() must run before the
// socket or buffer go away.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstdint>
#include <memory>

#include "common/clock.hpp"

namespace sy::server {

class ClientWatch : public std::enable_shared_from_this<ClientWatch> {
 public:
  ClientWatch(boost::asio::ip::tcp::socket& client, boost::beast::flat_buffer& buffer);

  void start();
  // The engine connection to close when the client leaves (nullptr: none right now).
  void set_upstream(boost::asio::ip::tcp::socket* upstream) noexcept { upstream_ = upstream; }
  // A timer to cancel when the client leaves (the admission wait).
  void set_wake(boost::asio::steady_timer* wake) noexcept { wake_ = wake; }
  // Records that a write to the client failed: the client is gone even if no EOF arrived.
  void mark_gone();

  [[nodiscard]] bool client_gone() const noexcept { return gone_; }
  [[nodiscard]] std::int64_t gone_at_ns() const noexcept { return gone_at_ns_; }
  // Nanoseconds from noticing the disconnect to closing the engine connection (0 if none).
  [[nodiscard]] std::int64_t upstream_closed_after_ns() const noexcept { return close_lag_ns_; }

  void stop();
  [[nodiscard]] boost::asio::awaitable<void> stopped();

 private:
  void arm();
  void on_readable(boost::system::error_code ec);
  // Reads what is readable now into buffer_; an error (EOF included) means the client is gone.
  boost::system::error_code drain_readable();

  boost::asio::ip::tcp::socket& client_;
  boost::beast::flat_buffer& buffer_;
  boost::asio::ip::tcp::socket* upstream_ = nullptr;
  boost::asio::steady_timer* wake_ = nullptr;
  boost::asio::steady_timer exited_signal_;
  bool stopping_ = false;
  bool reading_ = false;
  bool gone_ = false;
  std::int64_t gone_at_ns_ = 0;
  std::int64_t close_lag_ns_ = 0;
};

}  // namespace sy::server
