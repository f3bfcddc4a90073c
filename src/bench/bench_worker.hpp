#pragma once
// BenchWorker: one load-generating connection. Runs requests one after another over a keep-alive
// connection (reconnecting after a close or an error), measures TTFT and inter-token gaps, and
// records every outcome in the shared BenchRun. The per-token path (read → chunked framing → SSE →
// classify) works in a fixed read buffer and reused strings: no allocation per token.
// Runs on the BenchRun's io_context thread; abort() must be called on that thread too.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "bench/bench_run.hpp"
#include "http/body_framer.hpp"
#include "sse/sse_parser.hpp"

namespace sy::bench {

class BenchWorker {
 public:
  BenchWorker(const boost::asio::any_io_executor& executor, BenchRun& run);
  BenchWorker(const BenchWorker&) = delete;
  BenchWorker& operator=(const BenchWorker&) = delete;

  // Takes request numbers from the run until none are left or the issue deadline passed.
  boost::asio::awaitable<void> run();

  // Cancels the request in flight (its outcome is recorded as a `timeout` error).
  void abort();

 private:
  enum class BodyMode : std::uint8_t { Stream, Unary, Discard };
  enum class BodyEnd : std::uint8_t { Complete, Stopped, Eof, ReadError, Framing };

  boost::asio::awaitable<void> one_request(std::int64_t index);
  boost::asio::awaitable<bool> connect();
  // Reads until a full response head is buffered. Returns its length (0 on EOF/error; see
  // read_ec_).
  boost::asio::awaitable<std::size_t> read_head();
  boost::asio::awaitable<BodyEnd> pump_body();
  void on_payload(std::string_view payload);
  void on_data_event(std::string_view data);
  void finish_unary(std::int64_t index);
  void close() noexcept;

  BenchRun& run_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<char[]> buf_;
  std::size_t buf_size_;
  std::size_t begin_ = 0;  // unread bytes are buf_[begin_, end_)
  std::size_t end_ = 0;
  std::string request_;  // reused request bytes
  std::string body_;     // reused unary body
  sy::http::BodyFramer framer_;
  sse::Parser sse_;
  boost::system::error_code read_ec_;

  // Current request.
  BodyMode mode_ = BodyMode::Stream;
  std::int64_t t0_ns_ = 0;   // request write start
  std::int64_t now_ns_ = 0;  // when the bytes being parsed arrived
  std::int64_t last_token_ns_ = 0;
  std::int64_t tokens_ = 0;
  bool saw_done_ = false;
  bool saw_error_ = false;
  bool stop_ = false;  // disconnect-after-tokens reached
  bool body_too_large_ = false;
};

}  // namespace sy::bench
