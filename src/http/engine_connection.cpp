#include "http/engine_connection.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <cstring>
#include <optional>

#include "http/body_framer.hpp"

namespace sy::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kToken = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxUpstreamHeaderBytes = 64 * 1024;

class Http1EngineConnection final : public relay::EngineConnection {
 public:
  Http1EngineConnection(UpstreamPool& pool, const control::EndpointInfo& endpoint,
                        UpstreamConnection conn)
      : pool_(pool), endpoint_(endpoint), conn_(std::move(conn)) {}

  [[nodiscard]] bool reused() const noexcept override { return conn_.reused; }

  asio::awaitable<boost::system::error_code> write_request(std::string_view head,
                                                           std::string_view body) override {
    const std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(body)};
    auto [ec, n] = co_await asio::async_write(conn_.socket, bufs, kToken);
    co_return ec;
  }

  asio::awaitable<boost::system::error_code> read_head(relay::EngineHead& out) override {
    head_buffer_.emplace(kMaxUpstreamHeaderBytes);
    head_buffer_handed_out_ = false;
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(kMaxUpstreamHeaderBytes));
    parser.body_limit(boost::none);
    auto [ec, n] = co_await bhttp::async_read_header(conn_.socket, *head_buffer_, parser, kToken);
    if (ec) co_return ec;
    const auto& res = parser.get();
    out.status = res.result_int();
    out.content_type = std::string(res[bhttp::field::content_type]);
    out.event_stream = out.content_type.find("text/event-stream") != std::string::npos;
    out.retry_after = std::string(res[bhttp::field::retry_after]);
    keep_alive_ = parser.keep_alive();
    body_complete_ = false;
    if (parser.is_done()) {  // no body at all (204, 304...)
      framer_.start_length(0);
      body_complete_ = true;
    } else if (parser.chunked()) {
      framer_.start_chunked();
    } else if (const auto length = parser.content_length()) {
      framer_.start_length(*length);
    } else {
      framer_.start_until_close();
    }
    // Body bytes that came with the head are handed out first (read_body); after that the head
    // buffer is freed and every read lands in the caller's buffer.
    if (head_buffer_->size() == 0) head_buffer_.reset();
    co_return boost::system::error_code{};
  }

  asio::awaitable<relay::BodyRead> read_body(std::span<char> buffer) override {
    relay::BodyRead r;
    if (body_complete_) {
      r.end = true;
      co_return r;
    }
    if (head_buffer_ && !head_buffer_handed_out_) {
      auto data = head_buffer_->data();
      r.payload = unframe(static_cast<char*>(data.data()), data.size(), r);
      head_buffer_handed_out_ = true;  // freed at the next call, when the caller is done with it
      co_return r;
    }
    head_buffer_.reset();
    if (!non_blocking_) {
      boost::system::error_code ignored;  // an error here shows up as the read's error
      conn_.socket.non_blocking(true, ignored);
      non_blocking_ = true;
    }
    // Wait for readability, then read without blocking into the caller's buffer: a stream that
    // waits holds no read buffer. After a read that filled the buffer more bytes are likely
    // queued, so that read is tried first. After a shorter one the socket was drained and a read
    // now would almost always find nothing (one system call per token at an engine's pace), so
    // wait first. Nothing is missed by waiting: async_wait re-arms the socket's readiness with
    // the kernel (epoll_ctl), which reports bytes that are already queued.
    bool wait_first = drained_;
    for (;;) {
      if (wait_first) {
        auto [wec] = co_await conn_.socket.async_wait(tcp::socket::wait_read, kToken);
        if (wec) {
          r.error = wec;
          co_return r;
        }
      }
      wait_first = true;
      boost::system::error_code ec;
      const std::size_t n = conn_.socket.read_some(asio::buffer(buffer.data(), buffer.size()), ec);
      if (ec != asio::error::would_block && ec != asio::error::try_again) {
        r.error = ec;
        drained_ = n < buffer.size();
        r.payload = unframe(buffer.data(), n, r);
        if (ec == asio::error::eof && framer_.ends_at_close()) {
          r.end = true;
          ended_at_close_ = true;
        }
        co_return r;
      }
    }
  }

  asio::awaitable<boost::system::error_code> reconnect(Millis connect_timeout) override {
    abort();
    non_blocking_ = false;
    drained_ = false;
    co_return co_await pool_.connect_fresh(endpoint_, connect_timeout, conn_);
  }

  void abort() noexcept override {
    if (!conn_.socket.is_open()) return;
    boost::system::error_code ignored;
    conn_.socket.shutdown(tcp::socket::shutdown_both, ignored);
    conn_.socket.close(ignored);
  }

  void finish(bool body_complete) noexcept override {
    head_buffer_.reset();
    if (body_complete && body_complete_ && keep_alive_ && !ended_at_close_) {
      pool_.put_back(endpoint_, std::move(conn_.socket));
    } else {
      boost::system::error_code ignored;
      conn_.socket.close(ignored);
    }
  }

 private:
  // Runs the framer over data[0, size) and moves the payload pieces together at the front, in
  // place (a piece never starts before where it goes, so memmove is safe). Bytes after the end
  // of the body are dropped (a pooled connection with bytes waiting is not reused).
  std::string_view unframe(char* data, std::size_t size, relay::BodyRead& r) {
    std::string_view in(data, size);
    char* write_at = data;
    const auto status = framer_.feed(in, [&](std::string_view piece) {
      std::memmove(write_at, piece.data(), piece.size());
      write_at += piece.size();
    });
    if (status == BodyFramer::Status::Done) {
      body_complete_ = true;
      r.end = true;
    }
    if (status == BodyFramer::Status::Error) r.framing_error = true;
    return {data, static_cast<std::size_t>(write_at - data)};
  }

  UpstreamPool& pool_;
  const control::EndpointInfo& endpoint_;
  UpstreamConnection conn_;
  std::optional<boost::beast::flat_buffer> head_buffer_;
  BodyFramer framer_;
  bool keep_alive_ = false;
  bool body_complete_ = false;
  bool ended_at_close_ = false;
  bool non_blocking_ = false;
  bool drained_ = false;  // the last read took less than the buffer: the socket was empty after
  bool head_buffer_handed_out_ = false;
};

}  // namespace

asio::awaitable<boost::system::error_code> Http1EngineConnector::acquire(
    const control::EndpointInfo& endpoint, Millis connect_timeout,
    std::unique_ptr<relay::EngineConnection>& out) {
  UpstreamConnection conn{tcp::socket(co_await asio::this_coro::executor)};
  if (auto ec = co_await pool_.acquire(endpoint, connect_timeout, conn)) co_return ec;
  out = std::make_unique<Http1EngineConnection>(pool_, endpoint, std::move(conn));
  co_return boost::system::error_code{};
}

}  // namespace sy::http
