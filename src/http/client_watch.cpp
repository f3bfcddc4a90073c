#include "http/client_watch.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sy::http {

namespace asio = boost::asio;

namespace {
// A client that pipelines more than this while its previous response streams is not watched
// further (its bytes stay buffered for the next request, bounded).
constexpr std::size_t kMaxPipelinedBytes = 64 * 1024;
}  // namespace

ClientWatch::ClientWatch(asio::ip::tcp::socket& client, boost::beast::flat_buffer& buffer)
    : client_(client), buffer_(buffer) {}

void ClientWatch::start() { arm(); }

void ClientWatch::arm() {
  if (stopping_ || gone_ || buffer_.size() >= kMaxPipelinedBytes) return;
  reading_ = true;
  // Wait for readability rather than reading: a watched request holds no buffer while it waits.
  client_.async_wait(
      asio::ip::tcp::socket::wait_read,
      [self = shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); });
}

void ClientWatch::on_readable(boost::system::error_code ec) {
  reading_ = false;
  if (stopping_) return;
  if (!ec) ec = drain_readable();
  if (ec) {
    mark_gone();
    return;
  }
  arm();
}

boost::system::error_code ClientWatch::drain_readable() {
  // Readable means bytes (a pipelined next request: kept for the connection, bounded), EOF or an
  // error. Read without blocking until the socket has nothing more.
  boost::system::error_code mode_ec;
  client_.non_blocking(true, mode_ec);
  if (mode_ec) return mode_ec;
  while (buffer_.size() < kMaxPipelinedBytes) {
    boost::system::error_code ec;
    const std::size_t n = client_.read_some(buffer_.prepare(1024), ec);
    buffer_.commit(n);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return {};
    if (ec) return ec;
  }
  return {};
}

void ClientWatch::mark_gone() noexcept {
  if (gone_) return;
  gone_ = true;
  if (listener_ != nullptr) listener_->client_gone();
}

void ClientWatch::stop() {
  stopping_ = true;
  if (reading_) {
    boost::system::error_code ignored;
    client_.cancel(ignored);
  }
}

asio::awaitable<void> ClientWatch::stopped() {
  // stop() cancelled the pending wait, which queued its handler; a post queues behind it. (A
  // loop, not a timer kept for this: a timer would cost every watched stream its bytes.)
  while (reading_) co_await asio::post(client_.get_executor(), asio::use_awaitable);
}

}  // namespace sy::http
