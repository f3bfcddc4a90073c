// run_exchange(), and its first phases: get an engine connection, send the request, read the
// response head, and triage it (exchange_run.hpp lists the phases).
#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/error.hpp>
#include <ctime>
#include <iterator>

#include "api/deadline.hpp"
#include "relay/exchange.hpp"
#include "relay/exchange_errors.hpp"
#include "relay/exchange_run.hpp"
#include "relay/request_shapes.hpp"

namespace sy::relay {

namespace asio = boost::asio;
using telemetry::UpstreamErrorKind;

namespace {

constexpr std::size_t kMaxEngineErrorBytes = 1024 * 1024;

std::string build_request_head(const ExchangeInput& in, TimePoint now) {
  std::string head;
  head.reserve(384);
  fmt::format_to(std::back_inserter(head),
                 "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n"
                 "Content-Length: {}\r\nAccept: {}\r\nX-Correlation-Id: {}\r\n",
                 in.upstream->path, in.endpoint->host_header, in.upstream->body.size(),
                 in.request->stream ? "text/event-stream" : "application/json",
                 in.info->correlation_id);
  if (in.deadline != TimePoint::max()) {
    // Both forms: engines and proxies that read a deadline read one or the other.
    const auto left = std::chrono::duration_cast<Millis>(in.deadline - now).count();
    fmt::format_to(
        std::back_inserter(head), "X-Timeout-Ms: {}\r\nX-Deadline: {}\r\n", left > 0 ? left : 1,
        api::format_rfc3339(std::chrono::system_clock::now() + Millis(left > 0 ? left : 1)));
  }
  head += "\r\n";
  return head;
}

UpstreamErrorKind connect_failure(boost::system::error_code ec) {
  return ec == asio::error::timed_out ? UpstreamErrorKind::Timeout : UpstreamErrorKind::Connect;
}

}  // namespace

asio::awaitable<void> run_exchange(const ExchangeInput* in, ExchangeResult* out) {
  // The phases run in this frame (not in a member coroutine called from here): every coroutine
  // frame on a stream's chain stays allocated for the stream's whole life.
  *out = ExchangeResult{};
  ExchangeRun run(*in, *out);
  if (!co_await run.acquire_and_send() || !co_await run.triage_head()) co_return;
  if (run.wants_whole_answer()) {
    co_await run.relay_answer();
  } else {
    co_await run.relay_stream();
  }
}

ExchangeRun::ExchangeRun(const ExchangeInput& in, ExchangeResult& result)
    : in_(in), metrics_(*in.deps->metrics), limits_(in.info->config->limits), result_(result) {}

ExchangeRun::~ExchangeRun() {
  stop_timer();
  in_.on_gone->set_engine(nullptr);
}

bool ExchangeRun::wants_whole_answer() const noexcept {
  // The engine's own error (4xx), or a unary completion.
  return head_.status != 200 || !in_.request->stream || !head_.event_stream;
}

asio::awaitable<bool> ExchangeRun::acquire_and_send() {
  if (auto ec = co_await in_.deps->engines->acquire(*in_.endpoint,
                                                    Millis(limits_.connect_timeout_ms), conn_)) {
    co_return record_retryable(connect_failure(ec));
  }
  live_.upstream = conn_.get();
  live_.endpoint = in_.endpoint->id;
  live_.serial = in_.endpoint->serial;
  registration_.emplace(*in_.deps->live, live_);
  const std::string head = build_request_head(in_, in_.deps->now());

  // A reused keep-alive connection that the engine closed meanwhile fails here with nothing
  // received: then the request is sent once more on a fresh connection.
  for (int fresh_tries = 0;; ++fresh_tries) {
    if (in_.sink->gone()) co_return record_client_gone();
    in_.on_gone->set_engine(conn_.get());
    const boost::system::error_code wec = co_await conn_->write_request(head, in_.upstream->body);
    boost::system::error_code rec;
    if (!wec) {
      arm_timer(in_.deps->now() + Millis(limits_.first_byte_timeout_ms), false);
      rec = co_await conn_->read_head(head_);
    }
    if (!wec && !rec) co_return true;  // the engine answered
    const TimerReason fired = timer_fired();
    stop_timer();
    in_.on_gone->set_engine(nullptr);
    if (in_.sink->gone()) co_return record_client_gone();
    if (fired == TimerReason::Deadline) {
      co_return record_deadline("The request's deadline passed before the engine answered.");
    }
    // The request reached the engine, which then went quiet: another endpoint would redo the
    // same (possibly long) generation, so the client gets a timeout instead of a retry.
    if (fired == TimerReason::Activity) co_return record_give_up();
    if (live_.aborted != AbortReason::None) {
      co_return record_retryable(UpstreamErrorKind::Reset);  // ended from outside: no resend
    }
    // Resend on a fresh connection only when the request did not get through: once it was
    // written, the engine may have received it and failed, and a resend would run the generation
    // twice (nginx refuses that for POST too). The pool checks an idle connection before reuse,
    // which closes most of the window in which the engine's close crosses our write.
    if (conn_->reused() && fresh_tries == 0 && wec) {
      if (auto ec = co_await conn_->reconnect(Millis(limits_.connect_timeout_ms))) {
        co_return record_retryable(connect_failure(ec));
      }
      continue;
    }
    co_return record_retryable(UpstreamErrorKind::Reset);
  }
}

asio::awaitable<bool> ExchangeRun::triage_head() {
  // From here on the engine has answered. The timer covers the rest of the exchange.
  arm_timer(in_.deps->now() + Millis(in_.request->stream ? limits_.stall_timeout_ms
                                                         : limits_.first_byte_timeout_ms),
            true);
  choose_encoding();
  const unsigned status = head_.status;
  // 429 and 503 are backpressure: the engine is full, not broken (Ollama and llama.cpp answer
  // 503 when their slots or queue are full). Try another endpoint while nothing reached the
  // client; otherwise the engine's answer, Retry-After included, goes back to the client. The
  // breaker hears nothing either way.
  const bool backpressure = status == 429 || status == 503;
  if (status >= 500 && !backpressure) {
    std::string ignored_body;
    const bool complete = co_await read_body(ignored_body, kMaxEngineErrorBytes);
    finish_upstream(complete);
    co_return record_retryable(UpstreamErrorKind::Status5xx);
  }
  if (backpressure && in_.may_retry) {
    std::string ignored_body;
    const bool complete = co_await read_body(ignored_body, kMaxEngineErrorBytes);
    finish_upstream(complete);
    metrics_.count_upstream_error(UpstreamErrorKind::Backpressure);
    result_.outcome = ExchangeOutcome::RetryableFailure;
    result_.verdict = EndpointVerdict::None;
    result_.failure = UpstreamErrorKind::Backpressure;
    std::uint32_t retry_after_ms = 1000;
    if (const auto seconds = parse_retry_after_seconds(head_.retry_after)) {
      retry_after_ms = *seconds * 1000;
    }
    result_.error = Error{
        ErrorCode::QueueFull,
        fmt::format("Every engine for model '{}' is overloaded; retry later.", in_.request->model),
        {},
        retry_after_ms};
    co_return false;
  }
  if (backpressure) metrics_.count_upstream_error(UpstreamErrorKind::Backpressure);
  co_return true;
}

// ---- shared by the phases ----

bool ExchangeRun::record_client_gone() {
  result_.outcome = ExchangeOutcome::ClientGone;
  result_.verdict = EndpointVerdict::None;
  return false;
}

bool ExchangeRun::record_give_up() {
  metrics_.count_upstream_error(UpstreamErrorKind::Timeout);
  result_.outcome = ExchangeOutcome::GaveUp;
  result_.verdict = EndpointVerdict::Failed;
  result_.error = engine_failure(UpstreamErrorKind::Timeout, in_.endpoint->url);
  return false;
}

bool ExchangeRun::record_retryable(UpstreamErrorKind kind) {
  if (live_.aborted == AbortReason::Shutdown) {  // not the engine's fault; nowhere to retry
    result_.outcome = ExchangeOutcome::GaveUp;
    result_.verdict = EndpointVerdict::None;
    result_.error = aborted_error(live_.aborted);
    return false;
  }
  if (live_.aborted == AbortReason::EndpointRemoved) {  // nothing sent yet: another may serve it
    result_.outcome = ExchangeOutcome::RetryableFailure;
    result_.verdict = EndpointVerdict::None;
    result_.failure = kind;
    result_.error = aborted_error(live_.aborted);
    return false;
  }
  metrics_.count_upstream_error(kind);
  result_.outcome = ExchangeOutcome::RetryableFailure;
  result_.verdict = EndpointVerdict::Failed;
  result_.failure = kind;
  result_.error = engine_failure(kind, in_.endpoint->url);
  return false;
}

bool ExchangeRun::record_deadline(const char* message) {
  result_.outcome = ExchangeOutcome::DeadlineExceeded;
  result_.verdict = EndpointVerdict::None;
  result_.error = Error{ErrorCode::DeadlineExceeded, message, {}, 0};
  return false;
}

asio::awaitable<bool> ExchangeRun::read_body(std::string& out, std::size_t limit) {
  for (;;) {
    const BodyRead r = co_await conn_->read_body(in_.deps->read_buffer);
    if (out.size() + r.payload.size() > limit) co_return false;
    out.append(r.payload);
    if (r.end) co_return true;
    if (r.error || r.framing_error) co_return false;
  }
}

void ExchangeRun::finish_upstream(bool body_complete) {
  in_.on_gone->set_engine(nullptr);
  stop_timer();
  live_.upstream = nullptr;
  conn_->finish(body_complete);
}

void ExchangeRun::arm_timer(TimePoint activity_deadline, bool body_phase) {
  stop_timer();
  // While the body is read, a quiet stream's engine connection is looked at again (for a close
  // that came with the engine's last bytes) every second, or four times per stall timeout when
  // that is shorter, so that such a close is reported as what it is, well before the stall
  // timer would fire. The head is read by Beast, which needs no recheck.
  const Millis recheck_after =
      body_phase ? std::clamp(Millis(limits_.stall_timeout_ms / 4), Millis(10), Millis(1000))
                 : Millis::zero();
  timer_.start(*in_.deps->timers, *conn_, in_.deadline, recheck_after, activity_deadline);
}

void ExchangeRun::stop_timer() { timer_.stop(); }

void ExchangeRun::choose_encoding() {
  engine_shape_ =
      engines::wire_shape(in_.endpoint->protocol, in_.request->kind == api::CompletionKind::Chat);
  client_shape_ = client_shape(*in_.request);
  if (in_.request->stream) {
    encoder_ = in_.sink->make_encoder(
        client_shape_, engine_shape_,
        client_shape_ == engine_shape_ ? encoders::ChunkIdentity{} : chunk_identity());
  }
}

encoders::ChunkIdentity ExchangeRun::chunk_identity() const {
  return encoders::ChunkIdentity{"cmpl-" + in_.info->correlation_id, in_.request->model,
                                 static_cast<std::int64_t>(std::time(nullptr)),
                                 in_.request->include_usage};
}

}  // namespace sy::relay
