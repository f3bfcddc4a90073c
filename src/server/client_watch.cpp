#include "server/client_watch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sy::server {

namespace asio = boost::asio;

namespace {
// A client that pipelines more than this while its previous response streams is not watched
// further (its bytes stay buffered for the next request, bounded).
constexpr std::size_t kMaxPipelinedBytes = 64 * 1024;
}  // namespace

ClientWatch::ClientWatch(asio::ip::tcp::socket& client, boost::beast::flat_buffer& buffer)
    : client_(client), buffer_(buffer), exited_signal_(client.get_executor()) {
  exited_signal_.expires_at(asio::steady_timer::time_point::max());
}

void ClientWatch::start() { arm(); }

void ClientWatch::arm() {
  if (stopping_ || gone_ || buffer_.size() >= kMaxPipelinedBytes) return;
  reading_ = true;
  client_.async_read_some(buffer_.prepare(1024),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                            self->on_read(ec, n);
                          });
}

void ClientWatch::on_read(boost::system::error_code ec, std::size_t n) {
  reading_ = false;
  if (n > 0) buffer_.commit(n);
  if (stopping_) {
    exited_signal_.cancel();
    return;
  }
  if (ec) {
    mark_gone();
    exited_signal_.cancel();
    return;
  }
  arm();
  if (!reading_) exited_signal_.cancel();
}

void ClientWatch::mark_gone() {
  if (gone_) return;
  gone_ = true;
  gone_at_ns_ = monotonic_ns();
  if (upstream_ && upstream_->is_open()) {
    boost::system::error_code ignored;
    upstream_->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    upstream_->close(ignored);
    close_lag_ns_ = monotonic_ns() - gone_at_ns_;
  }
  if (wake_) wake_->cancel();
}

void ClientWatch::stop() {
  stopping_ = true;
  if (reading_) {
    boost::system::error_code ignored;
    client_.cancel(ignored);
  }
}

asio::awaitable<void> ClientWatch::stopped() {
  if (!reading_) co_return;
  co_await exited_signal_.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace sy::server
