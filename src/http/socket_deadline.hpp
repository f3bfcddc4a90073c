#pragma once
// SocketDeadline: closes a socket when its deadline (in the I/O thread's ThreadTimers) passes, so
// whatever operation waits on the socket ends with operation_aborted; fired() then tells a
// timeout from other failures. Used for a request being read (the idle timeout) and a connect
// to an engine (the connect timeout). Cancelled when it goes away, so it can live in the frame
// of the coroutine that waits.
// Thread: the socket's I/O thread.

#include <boost/asio/ip/tcp.hpp>

#include "common/clock.hpp"
#include "relay/thread_timers.hpp"

namespace sy::http {

class SocketDeadline final : public relay::ThreadTimers::Entry {
 public:
  explicit SocketDeadline(boost::asio::ip::tcp::socket& socket) : socket_(socket) {}
  ~SocketDeadline() override = default;

  [[nodiscard]] bool fired() const noexcept { return fired_; }

 private:
  void expired(TimePoint /*now*/) override {
    fired_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  boost::asio::ip::tcp::socket& socket_;
  bool fired_ = false;
};

}  // namespace sy::http
