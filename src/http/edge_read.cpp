#include "http/edge_read.hpp"

#include <sys/socket.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace sy::http {

namespace asio = boost::asio;

#if defined(SY_EDGE_READ_REACTOR)
EdgeRead::EdgeRead(asio::ip::tcp::socket& socket)
    : reactor_(asio::use_service<asio::detail::reactor>(
          asio::query(socket.get_executor(), asio::execution::context))),
      socket_(socket) {}
#else
EdgeRead::EdgeRead(asio::ip::tcp::socket& socket) : socket_(socket) {}
#endif

EdgeRead::~EdgeRead() {
  // A pending read keeps the coroutine that owns this object suspended, so it cannot be
  // destroyed meanwhile (see the header's contract); if it were, the reactor would keep an
  // operation that points here.
  if (!pending_.empty()) {
    std::fputs("switchyard: EdgeRead destroyed with a read pending\n", stderr);
    std::abort();
  }
}

void EdgeRead::fail_second_read() noexcept {
  std::fputs("switchyard: EdgeRead started a second read while one was pending\n", stderr);
  std::abort();
}

#if defined(SY_EDGE_READ_REACTOR)

namespace {

// The socket's reactor state (descriptor and per-descriptor data). basic_socket keeps it in a
// protected member; a pointer to it, formed through a derived class, reads it from any socket.
struct SocketAccess : asio::ip::tcp::socket {
  static auto& implementation(asio::ip::tcp::socket& socket) noexcept {
    return (socket.*&SocketAccess::impl_).get_implementation();
  }
};

}  // namespace

EdgeRead::Op::Op(EdgeRead& owner) noexcept
    : reactor_op(boost::system::error_code(), &Op::perform, &Op::complete), edge_read(owner) {}

asio::detail::reactor_op::status EdgeRead::Op::perform(reactor_op* base) noexcept {
  auto* op = static_cast<Op*>(base);
  for (;;) {
    const ssize_t n = ::recv(op->fd, op->data, op->size, 0);
    if (n > 0) {
      op->bytes_transferred_ = static_cast<std::size_t>(n);
      // The point of EdgeRead: a short read drained the socket, so the next read waits for the
      // next edge instead of trying recv first.
      return op->short_read_drains && static_cast<std::size_t>(n) < op->size ? done_and_exhausted
                                                                             : done;
    }
    if (n == 0) {
      op->ec_ = asio::error::eof;
      return done_and_exhausted;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return not_done;
    op->ec_ = boost::system::error_code(errno, asio::error::get_system_category());
    return done;
  }
}

void EdgeRead::Op::complete(void* owner, asio::detail::scheduler_operation* base,
                            const boost::system::error_code& /*result_ec*/, std::size_t /*bytes*/) {
  auto* op = static_cast<Op*>(base);
  EdgeRead& self = op->edge_read;
  if (owner == nullptr) {  // the I/O context is being destroyed: drop the handler uncalled
    self.pending_.complete(nullptr, 0);
    return;
  }
  // Copied first: the handler may start the next read with this same operation.
  const boost::system::error_code ec = op->ec_;
  const std::size_t n = op->bytes_transferred_;
  self.pending_.complete(&ec, n);
}

void EdgeRead::start_pending(char* data, std::size_t size) {
  auto& impl = SocketAccess::implementation(socket_);
  op_.ec_ = boost::system::error_code();
  op_.bytes_transferred_ = 0;
  op_.fd = impl.socket_;
  op_.data = data;
  op_.size = size;
  op_.short_read_drains = short_read_drains_;
  if (!socket_.non_blocking()) {
    boost::system::error_code ignored;  // a socket that cannot be made non-blocking fails below
    socket_.non_blocking(true, ignored);
  }
  // A closed socket has no reactor data: start_op then completes at once with bad_descriptor.
  reactor_.start_op(asio::detail::reactor::read_op, impl.socket_, impl.reactor_data_, &op_,
                    /*is_continuation=*/false, /*allow_speculative=*/true);
}

void EdgeRead::recheck() {
  if (pending_.empty() || !socket_.is_open()) return;
  // A readiness wait for writing is not tried at once: the reactor re-registers the socket
  // (epoll_ctl MOD), and the kernel polls it again. The socket is writable, so the wait ends at
  // the next turn of the loop, and a pending end of stream wakes the read with it. The handler
  // holds nothing: the socket may be closed or handed on meanwhile.
  socket_.async_wait(asio::ip::tcp::socket::wait_write, [](const boost::system::error_code&) {});
}

#else

void EdgeRead::recheck() {}

void EdgeRead::start_pending(char* data, std::size_t size) {
  socket_.async_read_some(
      asio::buffer(data, size),
      [this](const boost::system::error_code& ec, std::size_t n) { pending_.complete(&ec, n); });
}

#endif

}  // namespace sy::http
