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
#include "http/edge_read.hpp"

namespace sy::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kToken = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxUpstreamHeaderBytes = 64 * 1024;
// A streamed token event of vLLM, SGLang or llama.cpp is about 180 to 400 bytes with its chunk
// framing; a landing buffer that a read fills doubles, so a stream settles on its engine's size
// after one read.
constexpr std::size_t kInitialLandingBytes = 256;
constexpr std::size_t kMaxLandingBytes = 16 * 1024;

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
    head_buffer_ = std::make_unique<boost::beast::flat_buffer>(kMaxUpstreamHeaderBytes);
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
    // Where the close ends the body it usually comes with the last bytes (edge_read.hpp).
    edge_read_.set_short_read_drains(!framer_.ends_at_close());
    // Body bytes that came with the head are handed out first (read_body); after that the head
    // buffer is freed and every read lands in the caller's buffer.
    if (head_buffer_->size() == 0) head_buffer_.reset();
    co_return boost::system::error_code{};
  }

  asio::awaitable<relay::BodyRead> read_body(std::span<char> buffer) override {
    // The frame of this coroutine stays allocated while a stream waits, so it holds only the
    // wait; what comes before and after it is in plain functions.
    if (std::optional<relay::BodyRead> now = read_without_waiting(buffer)) co_return *now;
    // Wait, and let the reactor read into this connection's landing buffer when bytes come
    // (EdgeRead: no system call but the recv itself, see edge_read.hpp). The landing buffer
    // cannot be the thread's shared one: a read that finds bytes at once completes later,
    // through the event loop's queue, and other streams use the shared buffer meanwhile.
    if (!landing_) landing_ = std::make_unique<char[]>(landing_size_);
    const auto [ec, n] = co_await edge_read_.async_read(landing_.get(), landing_size_, kToken);
    co_return after_wait(buffer, ec, n);
  }

  asio::awaitable<boost::system::error_code> reconnect(Millis connect_timeout) override {
    abort();
    non_blocking_ = false;
    drained_ = true;
    co_return co_await pool_.connect_fresh(endpoint_, connect_timeout, conn_);
  }

  // An idle pooled connection to the endpoint, if one is usable (see acquire).
  bool take_idle() { return pool_.take_idle(endpoint_, conn_); }
  // A fresh connection (see acquire).
  asio::awaitable<boost::system::error_code> connect(Millis connect_timeout) {
    return pool_.connect_fresh(endpoint_, connect_timeout, conn_);
  }

  void recheck() noexcept override { edge_read_.recheck(); }

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
  // What a read can return before it waits: the end, the body bytes that came with the head, or
  // what the socket holds after a read that filled the caller's buffer. nullopt: wait.
  std::optional<relay::BodyRead> read_without_waiting(std::span<char> buffer) {
    relay::BodyRead r;
    if (body_complete_) {
      r.end = true;
      return r;
    }
    if (head_buffer_ && !head_buffer_handed_out_) {
      auto data = head_buffer_->data();
      r.payload = unframe(static_cast<char*>(data.data()), data.size(), r);
      head_buffer_handed_out_ = true;  // freed at the next call, when the caller is done with it
      return r;
    }
    head_buffer_.reset();
    if (!non_blocking_) {
      boost::system::error_code ignored;  // an error here shows up as the read's error
      conn_.socket.non_blocking(true, ignored);
      non_blocking_ = true;
    }
    // After a read that filled the caller's buffer more bytes are likely queued: read them now,
    // without waiting.
    if (!drained_) {
      boost::system::error_code ec;
      const std::size_t n = conn_.socket.read_some(asio::buffer(buffer.data(), buffer.size()), ec);
      if (ec != asio::error::would_block && ec != asio::error::try_again) {
        drained_ = n < buffer.size();
        return finish_read(buffer.data(), n, ec);
      }
    }
    return std::nullopt;
  }

  // The BodyRead after a wait that landed `n` bytes (or `ec`) in the landing buffer.
  relay::BodyRead after_wait(std::span<char> buffer, boost::system::error_code ec, std::size_t n) {
    if (ec || n < landing_size_ || buffer.size() <= n) {
      // (A full landing buffer larger than the caller's: more may be queued, and Asio knows it,
      // since a read that fills its buffer leaves the socket marked as worth trying at once.)
      drained_ = true;
      return finish_read(landing_.get(), n, ec);
    }
    // The landing buffer filled: move what it holds to the caller's buffer, read the rest there
    // at once, and give the next wait a larger landing buffer (bounded).
    std::memcpy(buffer.data(), landing_.get(), n);
    if (landing_size_ < kMaxLandingBytes) {
      landing_size_ *= 2;
      landing_.reset();
    }
    boost::system::error_code rest_ec;
    const std::size_t rest =
        conn_.socket.read_some(asio::buffer(buffer.data() + n, buffer.size() - n), rest_ec);
    if (rest_ec == asio::error::would_block || rest_ec == asio::error::try_again) {
      drained_ = true;
      return finish_read(buffer.data(), n, {});
    }
    // An error (EOF included) comes with the bytes before it: the kernel reports a reset once.
    drained_ = n + rest < buffer.size();
    return finish_read(buffer.data(), n + rest, rest_ec);
  }

  // The BodyRead for `n` bytes read at `data` (unframed in place) and the read's error.
  relay::BodyRead finish_read(char* data, std::size_t n, boost::system::error_code ec) {
    relay::BodyRead r;
    r.error = ec;
    r.payload = unframe(data, n, r);
    if (ec == asio::error::eof && framer_.ends_at_close()) {
      r.end = true;
      ended_at_close_ = true;
    }
    return r;
  }

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
  EdgeRead edge_read_{conn_.socket};  // reads conn_.socket (the same object after a reconnect)
  std::unique_ptr<boost::beast::flat_buffer> head_buffer_;  // while the head is read
  BodyFramer framer_;
  bool keep_alive_ = false;
  bool body_complete_ = false;
  bool ended_at_close_ = false;
  bool non_blocking_ = false;
  // The last read took less than it offered: the socket was empty after it, so the next read
  // waits (a pending read tries first anyway when Asio saw bytes arrive since).
  bool drained_ = true;
  bool head_buffer_handed_out_ = false;
  // Where a waiting read lands (see read_body): sized for one event of a typical engine, doubled
  // up to kMaxLandingBytes when a read fills it (a fast engine's batches). Allocated at the
  // first wait, freed with the exchange.
  std::unique_ptr<char[]> landing_;
  std::size_t landing_size_ = kInitialLandingBytes;
};

}  // namespace

asio::awaitable<boost::system::error_code> Http1EngineConnector::acquire(
    const control::EndpointInfo& endpoint, Millis connect_timeout,
    std::unique_ptr<relay::EngineConnection>& out) {
  // The connection object first, then the connect into it: the long-lived allocation comes
  // before the connect's short-lived ones, and no socket is held twice on the way.
  auto conn = std::make_unique<Http1EngineConnection>(pool_, endpoint,
                                                      UpstreamConnection{tcp::socket(ex_)});
  Http1EngineConnection* const c = conn.get();
  out = std::move(conn);
  if (!c->take_idle()) {
    if (const auto ec = co_await c->connect(connect_timeout)) {
      out.reset();
      co_return ec;
    }
  }
  co_return boost::system::error_code{};
}

}  // namespace sy::http
