// The whole-answer phase: the engine's own error (4xx, or 429/503 with nowhere else to go), or a
// unary completion. The body is read whole (bounded), translated, and sent as one answer, or as
// one in-band event when the client's stream head already went out (the request was queued).
#include <utility>

#include "encoders/answer_encoder.hpp"
#include "engines/engine_protocol.hpp"
#include "relay/exchange_run.hpp"
#include "telemetry/log.hpp"

namespace sy::relay {

namespace asio = boost::asio;
using telemetry::LogLevel;
using telemetry::UpstreamErrorKind;

namespace {
constexpr std::size_t kMaxUpstreamBodyBytes = 64 * 1024 * 1024;  // unary answers
constexpr std::size_t kMaxEngineErrorBytes = 1024 * 1024;
}  // namespace

asio::awaitable<void> ExchangeRun::relay_answer() {
  const unsigned status = head_.status;
  std::string body;
  const bool ok =
      co_await read_body(body, status == 200 ? kMaxUpstreamBodyBytes : kMaxEngineErrorBytes);
  if (!ok) {
    finish_upstream(false);
    if (in_.sink->gone()) {
      record_client_gone();
    } else if (timer_fired() == TimerReason::Deadline) {
      record_deadline("The request's deadline passed before the engine finished.");
    } else if (timer_fired() == TimerReason::Activity) {
      record_give_up();
    } else {
      record_retryable(UpstreamErrorKind::Reset);
    }
    co_return;
  }
  finish_upstream(true);

  std::string client_body;
  if (status == 200) {
    const engines::EngineAnswer answer = engines::decode_answer(engine_shape_, body);
    tally_.take(answer.usage);
    auto translated = encoders::encode_answer(
        client_shape_, engine_shape_, answer,
        client_shape_ == engine_shape_ ? encoders::ChunkIdentity{} : chunk_identity());
    if (!translated) {
      metrics_.count_upstream_error(UpstreamErrorKind::Protocol);
      result_.outcome = ExchangeOutcome::RetryableFailure;
      result_.verdict = EndpointVerdict::Failed;
      result_.failure = UpstreamErrorKind::Protocol;
      result_.error = translated.error();
      co_return;
    }
    client_body = std::move(*translated);
    metrics_.tokens_out.inc(tally_.tokens_out());
    metrics_.tokens_in.inc(tally_.prompt_tokens() ? tally_.prompt_tokens()
                                                  : in_.request->estimated_prompt_tokens);
    metrics_.ttft.observe_ns((in_.deps->now() - in_.info->arrived).count());
  } else {
    client_body = std::move(body);
  }

  const bool in_stream = in_.sink->stream_open();
  if (in_stream) {
    // The stream head already went out while the request was queued: report in-band.
    std::string out;
    in_.sink->append_answer_event(out, static_cast<int>(status), client_body);
    (void)co_await in_.sink->end_stream(out);
  } else {
    (void)co_await in_.sink->send_answer(static_cast<int>(status),
                                         head_.content_type.empty()
                                             ? std::string_view("application/json")
                                             : std::string_view(head_.content_type),
                                         client_body, head_.retry_after);
  }
  // The engine's own refusal is the request's fault (4xx) or backpressure (429/503): neither
  // says the endpoint is unhealthy.
  if (status == 429 || status == 503) result_.verdict = EndpointVerdict::None;
  metrics_.count_request(in_.info->route, in_stream ? 200 : static_cast<int>(status));
  telemetry::log_event(
      LogLevel::Info, "completed", in_.info->correlation_id,
      status == 200 ? "The engine's whole answer was relayed to the client."
                    : "The engine refused the request; its answer was relayed to the client.",
      {{"endpoint", std::string_view(in_.endpoint->url)},
       {"status", static_cast<std::uint64_t>(status)},
       {"tokens_out", tally_.tokens_out()},
       {"duration_ms",
        std::chrono::duration_cast<Millis>(in_.deps->now() - in_.info->arrived).count()}});
  result_.outcome = ExchangeOutcome::Completed;
}

}  // namespace sy::relay
