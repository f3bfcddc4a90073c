#pragma once
// EdgeRead: a read of a TCP socket that waits for bytes without system calls of its own, so that
// a stream costs one recv per arrival of its engine's bytes, as in nginx.
//
// Why not socket.async_read_some: Asio's epoll reactor registers a socket once, edge-triggered,
// and keeps a per-socket "try the read at once" flag that only an edge sets and only an
// exhausted read clears. Boost 1.81 counts a read as exhausted only at end of file, so after
// every short read the next async_read_some first calls recv and gets EAGAIN: one wasted system
// call per token at an engine's pace (a readiness wait, async_wait, costs an epoll_ctl instead).
// EdgeRead hands the reactor its own operation, which reports a short read as exhausted: the
// next read then waits for the socket's next edge without touching it, and the edge that new
// bytes raise sets the flag again, so no byte is missed.
//
// One thing a short read cannot tell: whether the peer's close (FIN, or a reset) arrived in the
// same wake-up as those bytes. Then no new edge comes, and the read would wait for good (Asio
// reads again at once for exactly this reason; nginx learns it from EPOLLRDHUP, which Asio does
// not pass on). So whoever owns the read calls recheck() when the socket has been quiet for a
// while: it makes the reactor poll the socket again (one epoll_ctl), which reports a pending
// close, and the read then ends with eof. The relay does this after 1 s without events
// (relay/upstream_timer.hpp), so such a close is noticed within about a second, and a close
// that arrives on its own (an engine that crashes between tokens) at once.
//
// This uses the reactor's interface in boost::asio::detail (start_op and reactor_op, unchanged
// since Boost 1.66). Where Asio does not use the epoll reactor (io_uring, other systems), reads
// fall back to async_read_some.
//
// Thread: the socket's I/O thread. One read at a time; the socket must outlive it, and the
// EdgeRead must outlive its pending read (a close or cancel of the socket ends it with
// operation_aborted). The handler is called directly on that thread, as the relay's coroutines
// on their single-threaded io_context expect: its associated executor, allocator and
// cancellation slot are not consulted (so no strands, and no per-operation cancellation: close
// or cancel the socket instead).

#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#if defined(BOOST_ASIO_HAS_EPOLL) && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT) && \
    !defined(BOOST_ASIO_WINDOWS)
#define SY_EDGE_READ_REACTOR 1
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#endif

namespace sy::http {

class EdgeRead {
 public:
  explicit EdgeRead(boost::asio::ip::tcp::socket& socket);
  ~EdgeRead();
  EdgeRead(const EdgeRead&) = delete;
  EdgeRead& operator=(const EdgeRead&) = delete;

  // Reads up to `size` bytes into `data` as soon as the socket has any. Completes with
  // (error, bytes): eof when the peer closed, operation_aborted when the socket was closed or
  // cancelled meanwhile.
  template <typename Token>
  auto async_read(char* data, std::size_t size, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this, data, size](auto handler) { start(data, size, std::move(handler)); }, token);
  }

  // Whether a short read drains the socket (the default). False where the peer's close is the
  // normal end of the data (a body delimited by the close), which usually comes with the last
  // bytes: then every read after a short one tries recv at once, as Asio's own reads do.
  void set_short_read_drains(bool drains) noexcept { short_read_drains_ = drains; }

  // While a read waits: has the reactor poll the socket again, so that a close that came with
  // the last bytes ends the read (see above). One system call; nothing when no read waits.
  void recheck();

 private:
  // The pending read's completion handler, stored in place (no allocation per read).
  class PendingHandler {
   public:
    template <typename Handler>
    void store(Handler&& handler) {
      using H = std::decay_t<Handler>;
      static_assert(sizeof(H) <= kBytes && alignof(H) <= kAlign,
                    "the completion handler does not fit EdgeRead's storage");
      new (storage_) H(std::forward<Handler>(handler));
      complete_ = [](void* storage, const boost::system::error_code* ec, std::size_t n) {
        // Moved out first: the handler may start the next read (which stores a new one here)
        // or destroy the object this storage lives in.
        H* stored = std::launder(static_cast<H*>(storage));
        H taken(std::move(*stored));
        stored->~H();
        if (ec != nullptr) std::move(taken)(*ec, n);
      };
    }
    [[nodiscard]] bool empty() const noexcept { return complete_ == nullptr; }
    // Calls the handler with (ec, n); with ec == nullptr, destroys it uncalled.
    void complete(const boost::system::error_code* ec, std::size_t n) {
      auto* complete = std::exchange(complete_, nullptr);
      complete(storage_, ec, n);
    }

   private:
    static constexpr std::size_t kBytes = 16;  // a coroutine's handler is two pointers
    static constexpr std::size_t kAlign = alignof(void*);
    alignas(kAlign) unsigned char storage_[kBytes];
    void (*complete_)(void*, const boost::system::error_code*, std::size_t) = nullptr;
  };

  template <typename Handler>
  void start(char* data, std::size_t size, Handler&& handler) {
    if (!pending_.empty()) fail_second_read();
    pending_.store(std::forward<Handler>(handler));
    start_pending(data, size);
  }
  // A second read while one is pending would put the one operation in the reactor's queue
  // twice: a bug in the caller, stopped here with a message rather than left to corrupt state.
  [[noreturn]] static void fail_second_read() noexcept;
  void start_pending(char* data, std::size_t size);

#if defined(SY_EDGE_READ_REACTOR)
  // The reactor's operation: performed by the reactor when the socket is readable (or at once
  // when it may be), completed through the I/O thread's queue.
  struct Op : boost::asio::detail::reactor_op {
    explicit Op(EdgeRead& owner) noexcept;
    static status perform(reactor_op* base) noexcept;
    static void complete(void* owner, boost::asio::detail::scheduler_operation* base,
                         const boost::system::error_code& result_ec, std::size_t bytes);
    EdgeRead& edge_read;
    bool short_read_drains = true;
    int fd = -1;
    char* data = nullptr;
    std::size_t size = 0;
  };
  Op op_{*this};
  boost::asio::detail::reactor& reactor_;  // the socket's I/O context's (looked up once)
#endif

  boost::asio::ip::tcp::socket& socket_;
  PendingHandler pending_;
  bool short_read_drains_ = true;
};

}  // namespace sy::http
