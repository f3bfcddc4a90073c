#include "server/upstream_exchange.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <memory>
#include <span>
#include <utility>

#include "api/error_body.hpp"
#include "engines/stream_translator.hpp"
#include "http/body_framer.hpp"
#include "server/response_writer.hpp"
#include "sse/sse_parser.hpp"
#include "sse/sse_writer.hpp"
#include "telemetry/log.hpp"

namespace sy::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using telemetry::LogLevel;

namespace {

constexpr auto kToken = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kUpstreamReadBytes = 4096;
constexpr std::size_t kMaxUpstreamHeaderBytes = 64 * 1024;
constexpr std::size_t kMaxUpstreamBodyBytes = 64 * 1024 * 1024;  // non-streaming answers
constexpr std::size_t kMaxEngineErrorBytes = 1024 * 1024;

enum class TimerReason : std::uint8_t { None, Activity, Deadline };

// Closes the engine connection when the current phase (connect → first byte → between events)
// or the request deadline runs out. Re-arming is lazy: the relay only moves
// `activity_deadline`; the timer notices when it fires, so no timer call is made per token.
class UpstreamTimer : public std::enable_shared_from_this<UpstreamTimer> {
 public:
  UpstreamTimer(asio::any_io_executor ex, tcp::socket& socket, TimePoint deadline)
      : timer_(ex), socket_(&socket), deadline_(deadline) {}

  void start(TimePoint activity_deadline) {
    activity_deadline_ = activity_deadline;
    arm();
  }
  void bump(TimePoint activity_deadline) noexcept { activity_deadline_ = activity_deadline; }
  void stop() {
    socket_ = nullptr;
    timer_.cancel();
  }
  [[nodiscard]] TimerReason fired() const noexcept { return fired_; }

 private:
  void arm() {
    timer_.expires_at(std::min(deadline_, activity_deadline_));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || !self->socket_) return;
      const TimePoint now = Clock::now();
      if (now >= self->deadline_) {
        self->fire(TimerReason::Deadline);
      } else if (now >= self->activity_deadline_) {
        self->fire(TimerReason::Activity);
      } else {
        self->arm();
      }
    });
  }
  void fire(TimerReason reason) {
    fired_ = reason;
    boost::system::error_code ignored;
    socket_->close(ignored);
  }

  asio::steady_timer timer_;
  tcp::socket* socket_;
  TimePoint deadline_;
  TimePoint activity_deadline_ = TimePoint::max();
  TimerReason fired_ = TimerReason::None;
};

struct TimerStopper {
  std::shared_ptr<UpstreamTimer> timer;
  ~TimerStopper() { timer->stop(); }
};

std::string build_request_head(const ExchangeInput& in, TimePoint now) {
  std::string head;
  head.reserve(384);
  fmt::format_to(std::back_inserter(head),
                 "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n"
                 "Content-Length: {}\r\nAccept: {}\r\nX-Correlation-Id: {}\r\n",
                 in.upstream.path, in.endpoint.host_header, in.upstream.body.size(),
                 in.request.stream ? "text/event-stream" : "application/json",
                 in.rc.correlation_id);
  if (in.deadline != TimePoint::max()) {
    const auto left = std::chrono::duration_cast<Millis>(in.deadline - now).count();
    fmt::format_to(std::back_inserter(head), "X-Timeout-Ms: {}\r\n", left > 0 ? left : 1);
  }
  head += "\r\n";
  return head;
}

Error engine_failure(UpstreamErrorKind kind, std::string_view url) {
  switch (kind) {
    case UpstreamErrorKind::Connect:
      return Error{ErrorCode::UpstreamError,
                   fmt::format("Could not connect to the engine at {}.", url),
                   {},
                   0};
    case UpstreamErrorKind::Timeout:
      return Error{ErrorCode::UpstreamTimeout,
                   fmt::format("The engine at {} did not answer in time.", url),
                   {},
                   0};
    case UpstreamErrorKind::Stalled:
      return Error{
          ErrorCode::StreamStalled, "The engine stopped sending tokens (stall timeout).", {}, 0};
    case UpstreamErrorKind::Status5xx:
      return Error{ErrorCode::UpstreamError,
                   fmt::format("The engine at {} answered with a server error.", url),
                   {},
                   0};
    default:
      return Error{ErrorCode::UpstreamError,
                   "The engine closed the connection before finishing its answer.",
                   {},
                   0};
  }
}

// Reads what the engine has sent into `buffer`, which every stream of this worker shares: the
// stream holds no read buffer of its own while it waits, so an open stream costs kilobytes less.
// It tries a non-blocking read first (bytes may already be queued: edge-triggered readiness
// would not announce them again), and only when there are none waits for readability.
// The bytes returned are valid until the caller's next co_await. Errors: as read_some (eof, a
// reset, operation_aborted when the socket is closed by the watch or the timer).
asio::awaitable<std::pair<boost::system::error_code, std::string_view>> read_shared(
    tcp::socket& socket, std::span<char> buffer) {
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = socket.read_some(asio::buffer(buffer.data(), buffer.size()), ec);
    if (ec != asio::error::would_block && ec != asio::error::try_again) {
      co_return std::pair{ec, std::string_view(buffer.data(), n)};
    }
    auto [wec] = co_await socket.async_wait(tcp::socket::wait_read, kToken);
    if (wec) co_return std::pair{wec, std::string_view()};
  }
}

// Retry-After as delta-seconds (the form engines send); nullopt for an HTTP-date or garbage.
std::optional<std::uint32_t> parse_retry_after_seconds(std::string_view value) {
  if (value.empty() || value.size() > 6) return std::nullopt;
  std::uint32_t seconds = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = seconds * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return seconds;
}

// Appends OpenAI's error event and the closing [DONE] for a stream that cannot go on.
void append_stream_error(std::string& out, const Error& error) {
  std::string body = api::error_body(error);
  sse::append_data_event(out, body);
  sse::append_done(out);
}

}  // namespace

asio::awaitable<ExchangeResult> run_exchange(ExchangeInput in) {
  RequestContext& rc = in.rc;
  Worker& worker = rc.worker;
  WorkerMetrics& metrics = worker.metrics;
  const config::Limits& limits = worker.shared.config.limits;
  auto ex = rc.client.get_executor();
  ExchangeResult result;

  // The request reached the engine, which then went quiet: another endpoint would redo the same
  // (possibly long) generation, so the client gets a timeout instead of a retry.
  auto give_up = [&]() {
    metrics.count_upstream_error(UpstreamErrorKind::Timeout);
    result.outcome = ExchangeOutcome::GaveUp;
    result.verdict = EndpointVerdict::Failed;
    result.error = engine_failure(UpstreamErrorKind::Timeout, in.endpoint.url);
    return result;
  };
  LiveExchange live;  // lets shutdown end this exchange with a final event
  const Error shutting_down{
      ErrorCode::ShuttingDown, "The server is shutting down; the request was ended.", {}, 1000};
  auto fail_retryable = [&](UpstreamErrorKind kind) {
    if (live.aborted) {  // not the engine's fault, and nowhere left to retry
      result.outcome = ExchangeOutcome::GaveUp;
      result.verdict = EndpointVerdict::None;
      result.error = shutting_down;
      return result;
    }
    metrics.count_upstream_error(kind);
    result.outcome = ExchangeOutcome::RetryableFailure;
    result.verdict = EndpointVerdict::Failed;
    result.failure = kind;
    result.error = engine_failure(kind, in.endpoint.url);
    return result;
  };

  UpstreamConnection conn{tcp::socket(ex)};
  if (auto ec =
          co_await worker.upstreams.acquire(in.endpoint, Millis(limits.connect_timeout_ms), conn)) {
    co_return fail_retryable(ec == asio::error::timed_out ? UpstreamErrorKind::Timeout
                                                          : UpstreamErrorKind::Connect);
  }
  live.upstream = &conn.socket;
  const LiveExchanges::Registration registration(worker.live, live);

  const std::string head = build_request_head(in, Clock::now());
  beast::flat_buffer ubuf(kMaxUpstreamHeaderBytes);
  std::optional<http::response_parser<http::buffer_body>> parser;

  // Send the request and read the response head. A reused keep-alive connection that the engine
  // closed meanwhile fails here with nothing received: retry once on a fresh connection.
  for (int fresh_tries = 0;; ++fresh_tries) {
    if (rc.client.is_open() && in.watch.client_gone()) {
      result.outcome = ExchangeOutcome::ClientGone;
      result.verdict = EndpointVerdict::None;
      result.keep_alive = false;
      co_return result;
    }
    in.watch.set_upstream(&conn.socket);
    const std::array<asio::const_buffer, 2> bufs{asio::buffer(head),
                                                 asio::buffer(in.upstream.body)};
    auto [wec, wn] = co_await asio::async_write(conn.socket, bufs, kToken);
    auto timer = std::make_shared<UpstreamTimer>(ex, conn.socket, in.deadline);
    TimerStopper stopper{timer};
    boost::system::error_code rec;
    if (!wec) {
      timer->start(Clock::now() + Millis(limits.first_byte_timeout_ms));
      parser.emplace();
      parser->header_limit(static_cast<std::uint32_t>(kMaxUpstreamHeaderBytes));
      parser->body_limit(boost::none);
      ubuf.clear();
      auto [hec, hn] = co_await http::async_read_header(conn.socket, ubuf, *parser, kToken);
      rec = hec;
    }
    if (!wec && !rec) break;
    in.watch.set_upstream(nullptr);
    if (in.watch.client_gone()) {
      result.outcome = ExchangeOutcome::ClientGone;
      result.verdict = EndpointVerdict::None;
      result.keep_alive = false;
      co_return result;
    }
    if (timer->fired() == TimerReason::Deadline) {
      result.outcome = ExchangeOutcome::DeadlineExceeded;
      result.verdict = EndpointVerdict::None;
      result.error = Error{ErrorCode::DeadlineExceeded,
                           "The request's deadline passed before the engine answered.",
                           {},
                           0};
      co_return result;
    }
    if (timer->fired() == TimerReason::Activity) {
      // Nothing came back within first_byte_timeout_ms. If the request never got out, another
      // endpoint may do better; once it was sent, the engine may be generating: don't repeat it.
      if (wec) co_return fail_retryable(UpstreamErrorKind::Timeout);
      co_return give_up();
    }
    if (live.aborted) co_return fail_retryable(UpstreamErrorKind::Reset);  // shutdown: no resend
    // Resend on a fresh connection only when the request did not get through: once it was
    // written, the engine may have received it and failed, and a resend would run the generation
    // twice (nginx refuses that for POST too). The pool checks an idle connection before reuse,
    // which closes most of the window in which the engine's close crosses our write.
    if (conn.reused && fresh_tries == 0 && wec) {
      boost::system::error_code ignored;
      conn.socket.close(ignored);
      if (auto ec = co_await worker.upstreams.connect_fresh(
              in.endpoint, Millis(limits.connect_timeout_ms), conn)) {
        co_return fail_retryable(ec == asio::error::timed_out ? UpstreamErrorKind::Timeout
                                                              : UpstreamErrorKind::Connect);
      }
      continue;
    }
    co_return fail_retryable(UpstreamErrorKind::Reset);
  }

  // From here on the engine has answered. The timer covers the rest of the exchange.
  auto timer = std::make_shared<UpstreamTimer>(ex, conn.socket, in.deadline);
  TimerStopper stopper{timer};
  timer->start(Clock::now() +
               Millis(in.request.stream ? limits.stall_timeout_ms : limits.first_byte_timeout_ms));
  const unsigned status = parser->get().result_int();
  const bool upstream_sse =
      parser->get()[http::field::content_type].find("text/event-stream") != std::string_view::npos;

  // Reads the rest of the body into `out`, bounded by `limit`. False on error or overflow.
  auto read_body = [&](std::string& out, std::size_t limit) -> asio::awaitable<bool> {
    std::array<char, kUpstreamReadBytes> chunk{};
    while (!parser->is_done()) {
      parser->get().body().data = chunk.data();
      parser->get().body().size = chunk.size();
      auto [ec, n] = co_await http::async_read_some(conn.socket, ubuf, *parser, kToken);
      const std::size_t got = chunk.size() - parser->get().body().size;
      if (out.size() + got > limit) co_return false;
      out.append(chunk.data(), got);
      if (ec && ec != http::error::need_buffer) co_return false;
    }
    co_return true;
  };
  // body_complete: the engine's response was read to its end, so the connection can be reused.
  auto finish_upstream = [&](bool body_complete) {
    in.watch.set_upstream(nullptr);
    timer->stop();
    if (body_complete && parser->keep_alive()) {
      worker.upstreams.put_back(in.endpoint.index, std::move(conn.socket));
    } else {
      boost::system::error_code ignored;
      conn.socket.close(ignored);
    }
  };

  auto translator =
      engines::make_stream_translator(in.endpoint.protocol, in.request, rc.correlation_id);

  // 429 and 503 are backpressure: the engine is full, not broken (Ollama and llama.cpp answer
  // 503 when their slots or queue are full). Try another endpoint while nothing reached the
  // client; otherwise the engine's answer, Retry-After included, goes back to the client. The
  // breaker hears nothing either way.
  const bool backpressure = status == 429 || status == 503;
  if (status >= 500 && !backpressure) {
    std::string ignored_body;
    const bool complete = co_await read_body(ignored_body, kMaxEngineErrorBytes);
    finish_upstream(complete);
    co_return fail_retryable(UpstreamErrorKind::Status5xx);
  }
  const std::string engine_retry_after(parser->get()[http::field::retry_after]);
  if (backpressure && in.may_retry) {
    std::string ignored_body;
    const bool complete = co_await read_body(ignored_body, kMaxEngineErrorBytes);
    finish_upstream(complete);
    metrics.count_upstream_error(UpstreamErrorKind::Backpressure);
    result.outcome = ExchangeOutcome::RetryableFailure;
    result.verdict = EndpointVerdict::None;
    result.failure = UpstreamErrorKind::Backpressure;
    std::uint32_t retry_after_ms = 1000;
    if (const auto seconds = parse_retry_after_seconds(engine_retry_after)) {
      retry_after_ms = *seconds * 1000;
    }
    result.error = Error{
        ErrorCode::QueueFull,
        fmt::format("Every engine for model '{}' is overloaded; retry later.", in.request.model),
        {},
        retry_after_ms};
    co_return result;
  }
  if (backpressure) metrics.count_upstream_error(UpstreamErrorKind::Backpressure);

  if (status != 200 || !in.request.stream || !upstream_sse) {
    // A whole answer: the engine's own error (4xx), or a non-streaming completion.
    std::string body;
    const bool ok =
        co_await read_body(body, status == 200 ? kMaxUpstreamBodyBytes : kMaxEngineErrorBytes);
    if (!ok) {
      finish_upstream(false);
      if (in.watch.client_gone()) {
        result.outcome = ExchangeOutcome::ClientGone;
        result.verdict = EndpointVerdict::None;
        result.keep_alive = false;
        co_return result;
      }
      if (timer->fired() == TimerReason::Deadline) {
        result.outcome = ExchangeOutcome::DeadlineExceeded;
        result.verdict = EndpointVerdict::None;
        result.error = Error{ErrorCode::DeadlineExceeded,
                             "The request's deadline passed before the engine finished.",
                             {},
                             0};
        co_return result;
      }
      if (timer->fired() == TimerReason::Activity) co_return give_up();
      co_return fail_retryable(UpstreamErrorKind::Reset);
    }
    finish_upstream(true);
    std::string client_body;
    if (status == 200) {
      auto translated = translator->translate_body(body);
      if (!translated) {
        metrics.count_upstream_error(UpstreamErrorKind::Protocol);
        result.outcome = ExchangeOutcome::RetryableFailure;
        result.verdict = EndpointVerdict::Failed;
        result.failure = UpstreamErrorKind::Protocol;
        result.error = translated.error();
        co_return result;
      }
      client_body = std::move(*translated);
      metrics.tokens_out.inc(translator->tokens_out());
      metrics.tokens_in.inc(translator->prompt_tokens() ? translator->prompt_tokens()
                                                        : in.request.estimated_prompt_tokens);
      metrics.ttft.observe_ns((Clock::now() - rc.arrived).count());
    } else {
      client_body = std::move(body);
    }
    if (in.headers_sent) {
      // The SSE head already went out while the request was queued: report in-band.
      std::string out;
      sse::append_data_event(out, client_body);
      sse::append_done(out);
      result.keep_alive = co_await write_last_chunk(rc.client, out, rc.chunked()) && rc.keep_alive;
    } else {
      const std::string_view ctype = parser->get()[http::field::content_type];
      HeaderList extra;
      if (!engine_retry_after.empty()) extra.emplace_back("Retry-After", engine_retry_after);
      result.keep_alive = co_await write_response(rc.client, static_cast<int>(status),
                                                  ctype.empty() ? "application/json" : ctype,
                                                  client_body, rc.correlation_id, rc.reply(),
                                                  extra.empty() ? nullptr : &extra) &&
                          rc.keep_alive;
    }
    // The engine's own refusal is the request's fault (4xx) or backpressure (429/503): neither
    // says the endpoint is unhealthy.
    if (backpressure) result.verdict = EndpointVerdict::None;
    metrics.count_request(rc.route, in.headers_sent ? 200 : static_cast<int>(status));
    telemetry::log_event(
        LogLevel::Info, "completed", rc.correlation_id,
        status == 200 ? "The engine's whole answer was relayed to the client."
                      : "The engine refused the request; its answer was relayed to the client.",
        {{"endpoint", std::string_view(in.endpoint.url)},
         {"status", static_cast<std::uint64_t>(status)},
         {"tokens_out", translator->tokens_out()},
         {"duration_ms", std::chrono::duration_cast<Millis>(Clock::now() - rc.arrived).count()}});
    result.outcome = ExchangeOutcome::Completed;
    co_return result;
  }

  // ---- Streaming relay (the hot path) ----
  if (!in.headers_sent) {
    if (!co_await write_sse_head(rc.client, rc.correlation_id, rc.reply())) {
      in.watch.mark_gone();
    }
    in.headers_sent = true;
  }
  metrics.active_streams.add(1);
  telemetry::log_event(LogLevel::Info, "stream_start", rc.correlation_id,
                       "The engine started streaming; tokens are relayed as they arrive.",
                       {{"endpoint", std::string_view(in.endpoint.url)},
                        {"pool", std::string_view(in.endpoint.pool_id)},
                        {"model", std::string_view(in.request.model)}});

  sse::Parser sse_parser(limits.max_body_bytes > (1u << 20) ? (1u << 20) : 256 * 1024);
  std::string out;
  out.reserve(512);  // grows to the largest batch of events once, then stays
  bool done = false;
  bool engine_error = false;
  bool stream_failed = false;
  bool event_too_large = false;
  bool malformed_event = false;  // the engine's fault, unlike an error event it sends
  TimePoint last_token{};
  bool first_token = true;
  std::uint64_t tokens_seen = 0;
  std::uint64_t batch_tokens = 0;  // tokens in the read now being written
  boost::system::error_code read_ec;
  // The engine's body is framed by hand (chunked, length or close) straight out of the read
  // buffer, with no copy, and everything one read brings goes out in one client write.
  sy::http::BodyFramer framer;
  if (parser->chunked()) {
    framer.start_chunked();
  } else if (const auto length = parser->content_length()) {
    framer.start_length(*length);
  } else {
    framer.start_until_close();
  }
  bool body_done = false;
  bool framing_error = false;
  std::uint64_t events_seen = 0;  // SSE events (not comments): what resets the stall timer
  auto on_event = [&](const sse::Event& ev) {
    ++events_seen;
    if (done || engine_error) return;
    switch (translator->on_event(ev, out)) {
      case engines::EventResult::Done:
        done = true;
        break;
      case engines::EventResult::EngineError:
        engine_error = true;
        break;
      case engines::EventResult::Malformed:
        engine_error = true;
        malformed_event = true;
        break;
      case engines::EventResult::Continue:
        break;
    }
  };
  auto on_payload = [&](std::string_view payload) {
    if (done || engine_error) return;
    if (sse_parser.feed(payload, on_event) == sse::ParseStatus::EventTooLarge) {
      metrics.count_upstream_error(UpstreamErrorKind::Protocol);
      const Error too_large{ErrorCode::UpstreamError,
                            "The engine sent an event larger than the relay accepts.",
                            {},
                            0};
      append_stream_error(out, too_large);
      stream_failed = true;
      event_too_large = true;
      done = true;
    }
  };

  // Bytes of the body that arrived with the response head are relayed first; after that `ubuf`
  // is freed and every read lands in the worker's shared relay buffer (see read_shared).
  {
    boost::system::error_code ignored;  // an error here shows up as the first read's error
    conn.socket.non_blocking(true, ignored);
  }
  bool leftovers = ubuf.size() > 0;
  if (!leftovers) ubuf.shrink_to_fit();
  std::span<char> shared_buffer = worker.relay_buffer();
  for (;;) {
    std::string_view bytes;
    if (leftovers) {
      bytes = std::string_view(static_cast<const char*>(ubuf.data().data()), ubuf.size());
    } else if (!read_ec) {
      auto [ec, got] = co_await read_shared(conn.socket, shared_buffer);
      bytes = got;
      read_ec = ec;
    }
    // From here to the next co_await nothing yields, so no other stream touches shared_buffer.
    const std::size_t got = bytes.size();
    const TimePoint now = Clock::now();
    if (got > 0) {
      const std::uint64_t before = translator->content_events();
      const std::uint64_t events_before = events_seen;
      const auto framing = framer.feed(bytes, on_payload);
      if (leftovers) {
        ubuf.consume(got);
        ubuf.shrink_to_fit();
        leftovers = false;
      }
      // Only events count as progress: an engine that sends nothing but comments is stalled.
      if (events_seen != events_before) timer->bump(now + Millis(limits.stall_timeout_ms));
      if (framing == sy::http::BodyFramer::Status::Done) body_done = true;
      if (framing == sy::http::BodyFramer::Status::Error) framing_error = true;
      const std::uint64_t new_tokens = translator->content_events() - before;
      batch_tokens = new_tokens;
      if (new_tokens > 0) {
        if (first_token) {
          metrics.ttft.observe_ns((now - rc.arrived).count());
          first_token = false;
        } else {
          metrics.inter_token.observe_ns((now - last_token).count());
        }
        for (std::uint64_t i = 1; i < new_tokens; ++i) metrics.inter_token.observe_ns(0);
        last_token = now;
        tokens_seen += new_tokens;
      }
    }
    if (read_ec == asio::error::eof && framer.ends_at_close()) body_done = true;
    if (engine_error) {
      // The engine's error event is already in `out`; end the stream the way OpenAI does.
      sse::append_done(out);
      done = true;
      stream_failed = true;
    }
    if (done) break;
    if (!out.empty()) {
      if (!co_await write_chunk(rc.client, out, rc.chunked())) {
        metrics.tokens_after_client_left.inc(batch_tokens);
        in.watch.mark_gone();
        break;
      }
      out.clear();
    }
    // A read error, or a body that ended without the stream's terminal event.
    if (read_ec || body_done || framing_error || in.watch.client_gone()) break;
  }

  metrics.active_streams.add(-1);
  metrics.tokens_out.inc(translator->content_events());
  metrics.tokens_in.inc(translator->prompt_tokens() ? translator->prompt_tokens()
                                                    : in.request.estimated_prompt_tokens);

  if (in.watch.client_gone()) {
    // The watch closed the engine connection the moment it noticed; record how long that took.
    finish_upstream(false);
    metrics.client_disconnects.inc();
    metrics.disconnect_to_upstream_close.observe_ns(in.watch.upstream_closed_after_ns());
    telemetry::log_event(
        LogLevel::Info, "stream_cancel", rc.correlation_id,
        "The client went away; the engine connection was closed so it stops generating.",
        {{"endpoint", std::string_view(in.endpoint.url)}, {"tokens_out", tokens_seen}});
    result.outcome = ExchangeOutcome::ClientGone;
    result.verdict = EndpointVerdict::None;
    result.keep_alive = false;
    metrics.count_request(rc.route, 499);
    co_return result;
  }

  if (done && !stream_failed) {
    const bool wrote = co_await write_last_chunk(rc.client, out, rc.chunked());
    // Read the engine's closing chunk so the connection can be reused.
    while (!body_done && !read_ec) {
      auto [ec, bytes] = co_await read_shared(conn.socket, shared_buffer);
      read_ec = ec;
      const auto framing = framer.feed(bytes, [](std::string_view) {});
      if (framing != sy::http::BodyFramer::Status::NeedMore)
        body_done = framing == sy::http::BodyFramer::Status::Done;
      if (framing == sy::http::BodyFramer::Status::Error) break;
    }
    finish_upstream(body_done);
    result.keep_alive = wrote && rc.keep_alive;
    result.outcome = ExchangeOutcome::Completed;
    metrics.count_request(rc.route, 200);
    telemetry::log_event(
        LogLevel::Info, "stream_end", rc.correlation_id,
        "The stream finished and every token reached the client.",
        {{"endpoint", std::string_view(in.endpoint.url)},
         {"tokens_out", tokens_seen},
         {"duration_ms", std::chrono::duration_cast<Millis>(Clock::now() - rc.arrived).count()}});
    co_return result;
  }

  // The stream broke: engine error event, oversized event, read error, stall, or deadline.
  finish_upstream(false);
  if (framing_error) metrics.count_upstream_error(UpstreamErrorKind::Protocol);
  Error error;
  if (live.aborted) {
    error = shutting_down;
    append_stream_error(out, error);
  } else if (stream_failed) {
    error =
        Error{ErrorCode::UpstreamError, "The engine reported an error during the stream.", {}, 0};
  } else if (timer->fired() == TimerReason::Deadline) {
    metrics.deadline_exceeded.inc();
    error = Error{
        ErrorCode::DeadlineExceeded, "The request's deadline passed during the stream.", {}, 0};
    append_stream_error(out, error);
  } else if (timer->fired() == TimerReason::Activity) {
    metrics.count_upstream_error(UpstreamErrorKind::Stalled);
    error = engine_failure(UpstreamErrorKind::Stalled, in.endpoint.url);
    append_stream_error(out, error);
  } else {
    metrics.count_upstream_error(UpstreamErrorKind::Reset);
    error = engine_failure(UpstreamErrorKind::Reset, in.endpoint.url);
    append_stream_error(out, error);
  }
  (void)read_ec;
  const bool wrote = co_await write_last_chunk(rc.client, out, rc.chunked());
  telemetry::log_event(LogLevel::Warn, "stream_error", rc.correlation_id,
                       "The stream ended early; the client got an error event and [DONE].",
                       {{"endpoint", std::string_view(in.endpoint.url)},
                        {"code", error.info().code},
                        {"tokens_out", tokens_seen}});
  result.keep_alive = wrote && rc.keep_alive;
  result.outcome = timer->fired() == TimerReason::Deadline ? ExchangeOutcome::DeadlineExceeded
                                                           : ExchangeOutcome::Failed;
  // An error event from the engine is about this request (the engine is up and talking); a
  // deadline or shutdown is nobody's fault. A reset, stall, bad framing or oversized event
  // counts against the endpoint.
  if (malformed_event) metrics.count_upstream_error(UpstreamErrorKind::Protocol);
  const bool request_fault = stream_failed && !event_too_large && !malformed_event;
  result.verdict = live.aborted || timer->fired() == TimerReason::Deadline || request_fault
                       ? EndpointVerdict::None
                       : EndpointVerdict::Failed;
  result.client_answered = true;
  result.error = error;
  metrics.count_request(rc.route, 200);
  co_return result;
}

}  // namespace sy::server
