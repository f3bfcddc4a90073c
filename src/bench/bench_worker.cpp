#include "bench/bench_worker.hpp"

#include <simdjson.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <variant>

#include "bench/data_event.hpp"
#include "bench/response_head.hpp"
#include "common/clock.hpp"

namespace sy::bench {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {
constexpr auto kTok = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxUnaryBody = std::size_t{16} << 20;
}  // namespace

BenchWorker::BenchWorker(const asio::any_io_executor& executor, BenchRun& run)
    : run_(run),
      socket_(executor),
      buf_(std::make_unique<char[]>(run.read_buffer_bytes)),
      buf_size_(run.read_buffer_bytes) {}

void BenchWorker::close() noexcept {
  boost::system::error_code ignored;
  socket_.close(ignored);
  begin_ = end_ = 0;
}

void BenchWorker::abort() { close(); }

asio::awaitable<void> BenchWorker::run() {
  co_await asio::this_coro::throw_if_cancelled(false);
  for (;;) {
    if (run_.hard_stopped || run_.next_request >= run_.config.requests) break;
    if (monotonic_ns() >= run_.issue_deadline_ns) break;
    const std::int64_t index = run_.next_request++;
    co_await one_request(index);
    ++run_.requests_done;
  }
  close();
}

asio::awaitable<bool> BenchWorker::connect() {
  asio::steady_timer timer(socket_.get_executor(),
                           std::chrono::milliseconds(run_.config.connect_timeout_ms));
  auto result =
      co_await (asio::async_connect(socket_, run_.endpoints, kTok) || timer.async_wait(kTok));
  if (result.index() == 1) {
    close();
    run_.record_error(run_.hard_stopped ? "timeout" : "connect_timeout");
    co_return false;
  }
  auto [ec, endpoint] = std::get<0>(result);
  if (ec) {
    close();
    run_.record_error(run_.hard_stopped ? "timeout" : "connect");
    co_return false;
  }
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  begin_ = end_ = 0;
  co_return true;
}

asio::awaitable<std::size_t> BenchWorker::read_head() {
  for (;;) {
    const std::string_view buffered(buf_.get() + begin_, end_ - begin_);
    if (const std::size_t n = find_head_end(buffered); n != 0) co_return n;
    if (begin_ > 0) {  // compact so the head can grow into the whole buffer
      std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buf_size_) {
      read_ec_ = asio::error::message_size;  // head larger than the read buffer
      co_return 0;
    }
    auto [ec, n] =
        co_await socket_.async_read_some(asio::buffer(buf_.get() + end_, buf_size_ - end_), kTok);
    end_ += n;
    if (ec) {
      read_ec_ = ec;
      co_return 0;
    }
  }
}

asio::awaitable<BenchWorker::BodyEnd> BenchWorker::pump_body() {
  for (;;) {
    if (begin_ < end_) {
      std::string_view in(buf_.get() + begin_, end_ - begin_);
      const auto status = framer_.feed(in, [this](std::string_view p) { on_payload(p); });
      begin_ = end_ - in.size();
      if (stop_) co_return BodyEnd::Stopped;
      if (status == sy::http::BodyFramer::Status::Done) co_return BodyEnd::Complete;
      if (status == sy::http::BodyFramer::Status::Error) co_return BodyEnd::Framing;
    }
    begin_ = end_ = 0;
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf_.get(), buf_size_), kTok);
    now_ns_ = monotonic_ns();
    end_ = n;
    if (ec && n == 0) {
      read_ec_ = ec;
      if (ec == asio::error::eof && framer_.ends_at_close()) co_return BodyEnd::Complete;
      co_return ec == asio::error::eof ? BodyEnd::Eof : BodyEnd::ReadError;
    }
  }
}

void BenchWorker::on_payload(std::string_view payload) {
  switch (mode_) {
    case BodyMode::Stream:
      if (sse_.feed(payload, [this](const sse::Event& event) { on_data_event(event.data); }) !=
          sse::ParseStatus::Ok) {
        saw_error_ = true;
      }
      break;
    case BodyMode::Unary:
      if (body_.size() + payload.size() > kMaxUnaryBody) {
        body_too_large_ = true;
      } else {
        body_.append(payload);
      }
      break;
    case BodyMode::Discard:
      break;
  }
}

void BenchWorker::on_data_event(std::string_view data) {
  if (stop_) return;
  const DataEventKind kind = classify_data_event(data, run_.llama_native);
  if (kind.error) saw_error_ = true;
  if (kind.done) saw_done_ = true;
  if (!kind.token) return;
  ++tokens_;
  if (tokens_ == 1) {
    run_.ttft.add(now_ns_ - t0_ns_);
  } else {
    run_.itl.add(now_ns_ - last_token_ns_);
  }
  last_token_ns_ = now_ns_;
  if (run_.config.disconnect_after_tokens > 0 && tokens_ >= run_.config.disconnect_after_tokens) {
    stop_ = true;
  }
}

asio::awaitable<void> BenchWorker::one_request(std::int64_t index) {
  run_.build_request(request_, index);
  std::size_t head_len = 0;
  // A reused keep-alive connection the server closed while idle fails before any response byte;
  // that gets one retry on a fresh connection and is not an error.
  for (int attempt = 0;; ++attempt) {
    const bool reused = socket_.is_open();
    if (!reused && !co_await connect()) co_return;
    t0_ns_ = monotonic_ns();
    auto [wec, written] = co_await asio::async_write(socket_, asio::buffer(request_), kTok);
    if (!wec) {
      read_ec_ = {};
      head_len = co_await read_head();
      if (head_len != 0) break;
    }
    const bool nothing_received = end_ == begin_;
    close();
    if (run_.hard_stopped) {
      run_.record_error("timeout");
      co_return;
    }
    if (reused && attempt == 0 && nothing_received) continue;
    if (wec) {
      run_.record_error("write");
    } else if (read_ec_ == asio::error::message_size) {
      run_.record_error("bad_response");
    } else {
      run_.record_error("read");
    }
    co_return;
  }

  ResponseHead head;
  if (!parse_response_head(std::string_view(buf_.get() + begin_, head_len), head)) {
    close();
    run_.record_error("bad_response");
    co_return;
  }
  begin_ += head_len;
  run_.record_status(head.status);
  if (head.chunked) {
    framer_.start_chunked();
  } else if (head.has_length) {
    framer_.start_length(head.content_length);
  } else {
    framer_.start_until_close();
  }

  tokens_ = 0;
  saw_done_ = saw_error_ = stop_ = body_too_large_ = false;
  const bool ok_status = head.status == 200;
  mode_ =
      !ok_status ? BodyMode::Discard : (run_.config.stream ? BodyMode::Stream : BodyMode::Unary);
  if (mode_ == BodyMode::Stream) sse_.reset();
  if (mode_ == BodyMode::Unary) body_.clear();
  now_ns_ = monotonic_ns();

  const BodyEnd end = co_await pump_body();
  run_.tokens += mode_ == BodyMode::Stream ? static_cast<std::uint64_t>(tokens_) : 0;

  if (end == BodyEnd::Stopped) {
    close();  // --disconnect-after-tokens: leave mid-stream
    run_.close_ns[static_cast<std::size_t>(index)] = monotonic_ns();
    ++run_.client_disconnects;
    co_return;
  }
  if (end != BodyEnd::Complete || head.close) close();
  if (run_.hard_stopped && end != BodyEnd::Complete) {
    run_.record_error("timeout");
    co_return;
  }
  if (!ok_status) {
    run_.record_error("http_status");
    co_return;
  }
  if (mode_ == BodyMode::Unary) {
    if (end != BodyEnd::Complete) {
      run_.record_error(end == BodyEnd::Framing ? "bad_response" : "read");
      co_return;
    }
    finish_unary(index);
    co_return;
  }
  if (saw_error_) {
    run_.record_error("sse_error");
  } else if (saw_done_) {
    ++run_.ok;  // [DONE] seen: complete even if the framing after it was cut
  } else if (end == BodyEnd::Framing) {
    run_.record_error("bad_response");
  } else if (end == BodyEnd::ReadError) {
    run_.record_error("read");
  } else {
    run_.record_error("incomplete_stream");
  }
}

void BenchWorker::finish_unary(std::int64_t /*index*/) {
  const std::int64_t elapsed = now_ns_ - t0_ns_;
  if (body_too_large_) {
    run_.record_error("bad_body");
    return;
  }
  const std::size_t size = body_.size();
  body_.reserve(size + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::parser& parser = run_.json;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(body_.data(), size, body_.capacity()).get(doc) || doc.get_object().get(obj)) {
    run_.record_error("bad_body");
    return;
  }
  std::int64_t completion_tokens = -1;
  for (auto field_result : obj) {
    simdjson::ondemand::field field;
    if (std::move(field_result).get(field)) break;
    std::string_view key;
    if (field.unescaped_key().get(key)) break;
    if (key == "error") {
      run_.record_error("response_error");
      return;
    }
    if (key == "tokens_predicted") {
      std::int64_t n = 0;
      if (!field.value().get_int64().get(n)) completion_tokens = n;
    } else if (key == "usage") {
      std::int64_t n = 0;
      simdjson::ondemand::object usage;
      if (!field.value().get_object().get(usage) &&
          !usage["completion_tokens"].get_int64().get(n)) {
        completion_tokens = n;
      }
    }
  }
  if (completion_tokens < 0) {
    run_.record_error("bad_body");
    return;
  }
  run_.ttft.add(elapsed);
  run_.tokens += static_cast<std::uint64_t>(completion_tokens);
  ++run_.ok;
}

}  // namespace sy::bench
