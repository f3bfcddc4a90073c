// The streaming relay (the hot path) and the three ways a stream ends: complete, the client
// gone, or broken (engine error event, oversized event, read error, stall, deadline, shutdown).
//
// Per read of the engine: the bytes arrive unframed in the thread's shared read buffer, the SSE
// parser cuts them into events in place, the engine's adapter reads each into a normalised
// event, the encoder appends the client's bytes for it to the thread's output buffer, and
// everything one read brought goes to the sink in one write. Nothing here takes a lock or
// allocates once the buffers reached their working size.
#include "engines/engine_protocol.hpp"
#include "relay/exchange_errors.hpp"
#include "relay/exchange_run.hpp"
#include "sse/sse_parser.hpp"
#include "telemetry/log.hpp"

namespace sy::relay {

namespace asio = boost::asio;
using telemetry::LogLevel;
using telemetry::UpstreamErrorKind;

namespace {

// What the events of the stream said so far.
struct StreamState {
  bool done = false;             // the terminal event arrived (or the stream was ended early)
  bool engine_error = false;     // the engine sent an error event, or one that cannot be read
  bool malformed_event = false;  // the latter: the engine's fault, unlike an error event it sends
  bool event_too_large = false;
  bool stream_failed = false;     // the client gets (or got) an error event instead of the end
  std::uint64_t events_seen = 0;  // SSE events (not comments): what resets the stall timer
};

// The stream's token timing: time to first token, the gaps between tokens (the later tokens of
// one read arrived together: a gap of 0), and how many tokens went out.
struct TokenTiming {
  TimePoint last{};
  bool seen_any = false;
  std::uint64_t count = 0;

  void observe(telemetry::WorkerMetrics& metrics, TimePoint arrived, TimePoint now,
               std::uint64_t batch) {
    if (batch == 0) return;
    if (!seen_any) {
      metrics.ttft.observe_ns((now - arrived).count());
      seen_any = true;
    } else {
      metrics.inter_token.observe_ns((now - last).count());
    }
    for (std::uint64_t i = 1; i < batch; ++i) metrics.inter_token.observe_ns(0);
    last = now;
    count += batch;
  }
};

std::size_t max_event_bytes(const config::Limits& limits) {
  return limits.max_body_bytes > (1u << 20) ? (1u << 20) : 256 * 1024;
}

}  // namespace

asio::awaitable<void> ExchangeRun::relay_stream() {
  StreamSink& sink = *in_.sink;
  if (!sink.stream_open()) (void)co_await sink.open_stream();  // a failed write marks it gone
  metrics_.active_streams.add(1);
  telemetry::log_event(LogLevel::Info, "stream_start", in_.info->correlation_id,
                       "The engine started streaming; tokens are relayed as they arrive.",
                       {{"endpoint", std::string_view(in_.endpoint->url)},
                        {"pool", std::string_view(in_.endpoint->pool_id)},
                        {"model", std::string_view(in_.request->model)}});

  // No retry can follow a stream that started: the request bodies are not needed any more.
  if (in_.client_body != nullptr) std::string().swap(*in_.client_body);
  if (in_.engine_body != nullptr) std::string().swap(*in_.engine_body);

  sse::Parser sse_parser(max_event_bytes(limits_));
  // The thread's output buffer: filled from one read and written out before this stream next
  // suspends (the sink copies what it cannot write at once), so other streams may use it while
  // this one waits.
  std::string& out = *in_.deps->output_buffer;
  StreamState st;
  TokenTiming tokens;
  bool body_done = false;
  bool read_failed = false;
  bool framing_error = false;  // counted only if the stream breaks, as a protocol error
  auto on_event = [&](const sse::Event& ev) {
    ++st.events_seen;
    if (st.done || st.engine_error) return;
    const engines::EngineEvent event = engines::decode_event(engine_shape_, ev);
    tally_.count(event);
    encoder_->encode(event, out);
    switch (event.status) {
      case engines::EventStatus::EngineError:
        st.engine_error = true;
        break;
      case engines::EventStatus::Malformed:
        st.engine_error = true;
        st.malformed_event = true;
        break;
      case engines::EventStatus::Ok:
        st.done = event.end;
        break;
    }
  };

  for (;;) {
    const BodyRead r = co_await conn_->read_body(in_.deps->read_buffer);
    // From here to the next co_await nothing yields, so no other stream touches the buffers;
    // the output buffer may still hold what another stream of this thread wrote out.
    out.clear();
    const TimePoint now = in_.deps->now();
    std::uint64_t batch_tokens = 0;  // tokens in this read
    if (!r.payload.empty()) {
      const std::uint64_t before = tally_.content_events();
      const std::uint64_t events_before = st.events_seen;
      if (!st.done && !st.engine_error &&
          sse_parser.feed(r.payload, on_event) == sse::ParseStatus::EventTooLarge) {
        metrics_.count_upstream_error(UpstreamErrorKind::Protocol);
        in_.sink->append_stream_error(
            out, Error{ErrorCode::UpstreamError,
                       "The engine sent an event larger than the relay accepts.",
                       {},
                       0});
        st.stream_failed = true;
        st.event_too_large = true;
        st.done = true;
      }
      // Only events count as progress: an engine that sends nothing but comments is stalled.
      if (st.events_seen != events_before) {
        timer_.bump(now, now + Millis(limits_.stall_timeout_ms));
      }
      batch_tokens = tally_.content_events() - before;
      tokens.observe(metrics_, in_.info->arrived, now, batch_tokens);
    }
    if (r.end) body_done = true;
    if (r.error) read_failed = true;
    if (r.framing_error) {
      framing_error = true;
      read_failed = true;
    }
    if (st.engine_error) {
      // The engine's error event is already in `out`; end the stream the client's way.
      in_.sink->append_end_after_error(out);
      st.done = true;
      st.stream_failed = true;
    }
    if (st.done) break;
    if (!out.empty()) {
      if (!co_await sink.send_events(out)) {
        metrics_.tokens_after_client_left.inc(batch_tokens);
        break;
      }
    }
    // A read error, or a body that ended without the stream's terminal event.
    if (read_failed || body_done || sink.gone()) break;
  }

  metrics_.active_streams.add(-1);
  metrics_.tokens_out.inc(tally_.content_events());
  metrics_.tokens_in.inc(tally_.prompt_tokens() ? tally_.prompt_tokens()
                                                : in_.request->estimated_prompt_tokens);
  if (sink.gone()) {
    end_gone_stream(tokens.count);
    co_return;
  }
  if (st.done && !st.stream_failed) {
    co_await end_complete_stream(out, body_done, read_failed, tokens.count);
    co_return;
  }
  if (framing_error) metrics_.count_upstream_error(UpstreamErrorKind::Protocol);
  // An error event from the engine is about this request (the engine is up and talking); a
  // reset, stall, bad framing, an unreadable or oversized event counts against the endpoint.
  const bool request_fault = st.stream_failed && !st.event_too_large && !st.malformed_event;
  if (st.malformed_event) metrics_.count_upstream_error(UpstreamErrorKind::Protocol);
  co_await end_broken_stream(out, st.stream_failed, request_fault, tokens.count);
}

void ExchangeRun::end_gone_stream(std::uint64_t tokens) {
  // The sink's listener closed the engine connection the moment the client left.
  finish_upstream(false);
  metrics_.client_disconnects.inc();
  metrics_.disconnect_to_upstream_close.observe_ns(in_.on_gone->engine_closed_after_ns());
  telemetry::log_event(
      LogLevel::Info, "stream_cancel", in_.info->correlation_id,
      "The client went away; the engine connection was closed so it stops generating.",
      {{"endpoint", std::string_view(in_.endpoint->url)}, {"tokens_out", tokens}});
  metrics_.count_request(in_.info->route, 499);
  record_client_gone();
}

asio::awaitable<void> ExchangeRun::end_complete_stream(std::string& out, bool body_done,
                                                       bool read_failed, std::uint64_t tokens) {
  (void)co_await in_.sink->end_stream(out);
  // Read the engine's closing chunk so the connection can be reused.
  while (!body_done && !read_failed) {
    const BodyRead r = co_await conn_->read_body(in_.deps->read_buffer);
    body_done = r.end;
    read_failed = r.error || r.framing_error;
  }
  finish_upstream(body_done);
  result_.outcome = ExchangeOutcome::Completed;
  metrics_.count_request(in_.info->route, 200);
  telemetry::log_event(
      LogLevel::Info, "stream_end", in_.info->correlation_id,
      "The stream finished and every token reached the client.",
      {{"endpoint", std::string_view(in_.endpoint->url)},
       {"tokens_out", tokens},
       {"duration_ms",
        std::chrono::duration_cast<Millis>(in_.deps->now() - in_.info->arrived).count()}});
}

asio::awaitable<void> ExchangeRun::end_broken_stream(std::string& out, bool stream_failed,
                                                     bool request_fault, std::uint64_t tokens) {
  finish_upstream(false);
  const TimerReason fired = timer_fired();
  Error error;
  if (live_.aborted != AbortReason::None) {
    error = aborted_error(live_.aborted);
    in_.sink->append_stream_error(out, error);
  } else if (stream_failed) {  // the error event is in `out` already
    error =
        Error{ErrorCode::UpstreamError, "The engine reported an error during the stream.", {}, 0};
  } else if (fired == TimerReason::Deadline) {
    metrics_.deadline_exceeded.inc();
    error = Error{
        ErrorCode::DeadlineExceeded, "The request's deadline passed during the stream.", {}, 0};
    in_.sink->append_stream_error(out, error);
  } else if (fired == TimerReason::Activity) {
    metrics_.count_upstream_error(UpstreamErrorKind::Stalled);
    error = engine_failure(UpstreamErrorKind::Stalled, in_.endpoint->url);
    in_.sink->append_stream_error(out, error);
  } else {
    metrics_.count_upstream_error(UpstreamErrorKind::Reset);
    error = engine_failure(UpstreamErrorKind::Reset, in_.endpoint->url);
    in_.sink->append_stream_error(out, error);
  }
  (void)co_await in_.sink->end_stream(out);
  telemetry::log_event(LogLevel::Warn, "stream_error", in_.info->correlation_id,
                       "The stream ended early; the client got an error event and [DONE].",
                       {{"endpoint", std::string_view(in_.endpoint->url)},
                        {"code", error.info().code},
                        {"tokens_out", tokens}});
  result_.outcome =
      fired == TimerReason::Deadline ? ExchangeOutcome::DeadlineExceeded : ExchangeOutcome::Failed;
  // A deadline or shutdown is nobody's fault.
  result_.verdict =
      live_.aborted != AbortReason::None || fired == TimerReason::Deadline || request_fault
          ? EndpointVerdict::None
          : EndpointVerdict::Failed;
  result_.client_answered = true;
  result_.error = error;
  metrics_.count_request(in_.info->route, 200);
}

}  // namespace sy::relay
