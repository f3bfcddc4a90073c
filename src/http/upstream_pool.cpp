#include "http/upstream_pool.hpp"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

namespace sy::http {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
// Engines (uvicorn, llama-server) close idle keep-alive connections after a few seconds; a
// connection idle longer than this is not worth the risk of a stale write.
constexpr auto kMaxIdleAge = std::chrono::seconds(4);

// An idle keep-alive connection is only worth reusing while the engine has neither closed it nor
// sent anything on it: a request written into a closed connection could not be told apart from
// one the engine received and then failed, so it could not safely be resent.
bool still_open(tcp::socket& socket) {
  char byte = 0;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}
}  // namespace

UpstreamPool::UpstreamPool(asio::any_io_executor ex, std::size_t max_idle)
    : ex_(ex), max_idle_(max_idle) {}

UpstreamPool::Bucket& UpstreamPool::bucket(const control::EndpointInfo& endpoint) {
  if (endpoint.id >= buckets_.size()) buckets_.resize(endpoint.id + 1);
  Bucket& b = buckets_[endpoint.id];
  if (b.serial != endpoint.serial) {
    b.idle.clear();  // closes them: they lead to the id's previous endpoint
    b.serial = endpoint.serial;
  }
  return b;
}

void UpstreamPool::forget(control::EndpointId id, std::uint64_t serial) {
  if (id < buckets_.size() && buckets_[id].serial == serial) buckets_[id] = Bucket{};
}

std::size_t UpstreamPool::idle_count() const noexcept {
  std::size_t n = 0;
  for (const Bucket& b : buckets_) n += b.idle.size();
  return n;
}

asio::awaitable<boost::system::error_code> UpstreamPool::acquire(
    const control::EndpointInfo& endpoint, Millis connect_timeout, UpstreamConnection& out) {
  auto& idle = bucket(endpoint).idle;
  const TimePoint now = Clock::now();
  while (!idle.empty()) {
    Idle conn = std::move(idle.back());
    idle.pop_back();
    if (now - conn.since > kMaxIdleAge) continue;  // closes it
    if (!still_open(conn.socket)) continue;
    out.socket = std::move(conn.socket);
    out.reused = true;
    co_return boost::system::error_code{};
  }
  co_return co_await connect_fresh(endpoint, connect_timeout, out);
}

asio::awaitable<boost::system::error_code> UpstreamPool::connect_fresh(
    const control::EndpointInfo& endpoint, Millis connect_timeout, UpstreamConnection& out) {
  boost::system::error_code ec;
  tcp::endpoint target;
  const auto address = asio::ip::make_address(endpoint.host, ec);
  if (!ec) {
    target = tcp::endpoint(address, endpoint.port);
  } else {
    // Host names are resolved per connect; pools of engines are normally addressed by IP.
    tcp::resolver resolver(ex_);
    auto [rec, results] = co_await resolver.async_resolve(
        endpoint.host, std::to_string(endpoint.port), asio::as_tuple(asio::use_awaitable));
    if (rec || results.empty()) co_return rec ? rec : asio::error::host_not_found;
    target = *results.begin();
  }
  tcp::socket socket(ex_);
  asio::steady_timer timer(ex_);
  timer.expires_after(connect_timeout);
  bool timed_out = false;
  // A timer closes the socket if the connect outlives the timeout: one waiter, no allocation per
  // token (this is per request).
  timer.async_wait([&](boost::system::error_code tec) {
    if (!tec) {
      timed_out = true;
      boost::system::error_code ignored;
      socket.close(ignored);
    }
  });
  auto [cec] = co_await socket.async_connect(target, asio::as_tuple(asio::use_awaitable));
  timer.cancel();
  // Let the timer's handler run (it references locals) before returning.
  co_await asio::post(ex_, asio::use_awaitable);
  if (timed_out) co_return asio::error::timed_out;
  if (cec) co_return cec;
  socket.set_option(tcp::no_delay(true), ec);
  out.socket = std::move(socket);
  out.reused = false;
  co_return boost::system::error_code{};
}

void UpstreamPool::put_back(const control::EndpointInfo& endpoint, tcp::socket socket) {
  auto& idle = bucket(endpoint).idle;
  if (idle.size() >= max_idle_ || !socket.is_open()) return;
  idle.push_back(Idle{std::move(socket), Clock::now()});
}

}  // namespace sy::http
