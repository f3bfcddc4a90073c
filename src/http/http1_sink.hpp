#pragma once
// The StreamSinks of an HTTP/1.x client connection (relay/stream_sink.hpp):
//   SseSink, chunked         HTTP/1.1: text/event-stream, one chunk per batch of events
//   SseSink, close-delimited HTTP/1.0: the events as they are; the connection's close ends them
//   UnaryJsonSink            a non-streaming request: one whole answer
// All three answer errors and whole answers the same way and watch the client socket
// (ClientWatch) from the moment the pipeline asks. Thread: the connection's I/O thread. Lives in
// the connection coroutine's frame; stop_watch() must be awaited before the socket or buffer go.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <memory>
#include <string>

#include "http/client_watch.hpp"
#include "http/response_writer.hpp"
#include "relay/stream_sink.hpp"

namespace sy::http {

class Http1Sink : public relay::StreamSink {
 public:
  // `correlation_id` outlives the sink (it is the request's, in the connection's frame).
  Http1Sink(boost::asio::ip::tcp::socket& client, boost::beast::flat_buffer& buffer,
            std::string_view correlation_id, ReplyMode mode);
  // Ends the watch if stop_watch() did not run (the pipeline threw): its pending wait then
  // touches neither the listener nor the connection's buffer.
  ~Http1Sink() override;
  Http1Sink(const Http1Sink&) = delete;
  Http1Sink& operator=(const Http1Sink&) = delete;

  boost::asio::awaitable<bool> send_answer(int status, std::string_view content_type,
                                           std::string_view body,
                                           std::string_view retry_after) override;
  boost::asio::awaitable<bool> send_error(const Error& error) override;
  [[nodiscard]] bool stream_open() const noexcept override { return stream_open_; }

  void watch(relay::GoneListener* listener) override;
  [[nodiscard]] bool gone() const noexcept override { return watch_->client_gone(); }
  void mark_gone() noexcept override { watch_->mark_gone(); }

  // Ends the watch; awaited before the socket or the connection's buffer go away.
  boost::asio::awaitable<void> stop_watch();
  // The connection can serve another request: every write succeeded, the client is still there
  // and the request allowed keep-alive.
  [[nodiscard]] bool reusable() const noexcept {
    return intact_ && mode_.keep_alive && !watch_->client_gone();
  }

 protected:
  // Records a write's success; a failed write means the client is gone.
  bool record(bool ok) noexcept;

  boost::asio::ip::tcp::socket& client_;
  std::string_view correlation_id_;
  ReplyMode mode_;
  bool stream_open_ = false;

 private:
  std::shared_ptr<ClientWatch> watch_;
  bool watching_ = false;
  bool intact_ = true;
};

class SseSink final : public Http1Sink {
 public:
  enum class Framing : std::uint8_t { Chunked, CloseDelimited };
  SseSink(boost::asio::ip::tcp::socket& client, boost::beast::flat_buffer& buffer,
          std::string_view correlation_id, ReplyMode mode, Framing framing);

  boost::asio::awaitable<bool> open_stream() override;
  boost::asio::awaitable<bool> send_events(std::string_view events) override;
  boost::asio::awaitable<bool> end_stream(std::string_view events) override;

 private:
  bool chunked_;
};

class UnaryJsonSink final : public Http1Sink {
 public:
  using Http1Sink::Http1Sink;
  // A unary request has no stream: the pipeline streams only when the request asked for it. A
  // call anyway is refused (false) without writing anything.
  boost::asio::awaitable<bool> open_stream() override { co_return false; }
  boost::asio::awaitable<bool> send_events(std::string_view) override { co_return false; }
  boost::asio::awaitable<bool> end_stream(std::string_view) override { co_return false; }
};

}  // namespace sy::http
