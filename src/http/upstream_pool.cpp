#include "http/upstream_pool.hpp"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

#include "http/socket_deadline.hpp"

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

// The endpoint's host as an IP address; false when it is a name to resolve.
bool literal_address(const control::EndpointInfo& endpoint, tcp::endpoint& out) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(endpoint.host, ec);
  if (ec) return false;
  out = tcp::endpoint(address, endpoint.port);
  return true;
}
}  // namespace

UpstreamPool::UpstreamPool(asio::any_io_executor ex, relay::ThreadTimers& timers,
                           std::size_t max_idle)
    : ex_(ex), timers_(timers), max_idle_(max_idle) {}

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

bool UpstreamPool::take_idle(const control::EndpointInfo& endpoint, UpstreamConnection& out) {
  auto& idle = bucket(endpoint).idle;
  const TimePoint now = Clock::now();
  while (!idle.empty()) {
    Idle conn = std::move(idle.back());
    idle.pop_back();
    if (now - conn.since > kMaxIdleAge) continue;  // closes it
    if (!still_open(conn.socket)) continue;
    out.socket = std::move(conn.socket);
    out.reused = true;
    return true;
  }
  return false;
}

asio::awaitable<boost::system::error_code> UpstreamPool::resolve(
    const control::EndpointInfo& endpoint, tcp::endpoint& out) {
  // Host names are resolved per connect; pools of engines are normally addressed by IP.
  tcp::resolver resolver(ex_);
  auto [ec, results] = co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                                                       asio::as_tuple(asio::use_awaitable));
  if (ec || results.empty()) co_return ec ? ec : asio::error::host_not_found;
  out = *results.begin();
  co_return boost::system::error_code{};
}

// (Every request that finds no idle connection waits here, and all of a burst's at once: the
// frame is kept small, and the timeout is a ThreadTimers entry, not an Asio timer.)
asio::awaitable<boost::system::error_code> UpstreamPool::connect_fresh(
    const control::EndpointInfo& endpoint, Millis connect_timeout, UpstreamConnection& out) {
  tcp::endpoint target;
  if (!literal_address(endpoint, target)) {
    if (const auto ec = co_await resolve(endpoint, target)) co_return ec;
  }
  out.socket = tcp::socket(ex_);
  out.reused = false;
  // The timeout closes the socket if the connect outlives it.
  SocketDeadline timeout(out.socket);
  timers_.schedule(timeout, Clock::now() + connect_timeout);
  const auto [ec] = co_await out.socket.async_connect(target, asio::as_tuple(asio::use_awaitable));
  timeout.cancel();
  if (timeout.fired()) co_return asio::error::timed_out;
  if (ec) co_return ec;
  boost::system::error_code ignored;  // a connection without it still works
  out.socket.set_option(tcp::no_delay(true), ignored);
  co_return boost::system::error_code{};
}

void UpstreamPool::put_back(const control::EndpointInfo& endpoint, tcp::socket socket) {
  auto& idle = bucket(endpoint).idle;
  if (idle.size() >= max_idle_ || !socket.is_open()) return;
  idle.push_back(Idle{std::move(socket), Clock::now()});
}

}  // namespace sy::http
