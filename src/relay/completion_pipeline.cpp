#include "relay/completion_pipeline.hpp"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <random>

#include "admission/priority.hpp"
#include "api/deadline.hpp"
#include "engines/upstream_request.hpp"
#include "placement/placement.hpp"
#include "relay/admission_wait.hpp"
#include "relay/client_gone.hpp"
#include "relay/exchange.hpp"
#include "relay/request_shapes.hpp"
#include "telemetry/log.hpp"

namespace sy::relay {

namespace asio = boost::asio;
using telemetry::LogLevel;
using telemetry::UpstreamErrorKind;

namespace {

constexpr auto kToken = asio::as_tuple(asio::use_awaitable);

// Full jitter: a random wait in [0, min(max, base * 2^attempt)].
Millis retry_backoff(const config::Retry& retry, std::uint32_t attempt) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  const std::uint64_t cap = std::min<std::uint64_t>(
      retry.backoff_max_ms, static_cast<std::uint64_t>(retry.backoff_base_ms)
                                << std::min(attempt, 16u));
  return Millis(cap == 0 ? 0 : rng() % (cap + 1));
}

// The checks that need no trip to the control thread, in the order a client would want them
// reported: the error, or nullopt when the request may go on. Settles the slot's priority,
// deadline and context. (A plain function: its locals stay out of the pipeline's frame.)
std::optional<Error> prepare_slot(const RelayDeps& deps, const RequestInfo& info,
                                  const api::CompletionRequest& request, SlotRequest& out) {
  if (deps.draining->load(std::memory_order_relaxed)) {
    return Error{ErrorCode::ShuttingDown,
                 "The server is shutting down; retry on another instance.",
                 {},
                 1000};
  }
  const auto registry = deps.registry();
  const placement::RegistrySnapshot& snapshot = registry->placement;
  if (!snapshot.serves_model(request.model)) {
    return Error{
        ErrorCode::ModelNotFound,
        fmt::format("The model '{}' does not exist here; GET /v1/models lists the models served.",
                    request.model),
        "model", 0};
  }
  if (!snapshot.model_ready(request.model)) {
    return Error{ErrorCode::PoolUnavailable,
                 fmt::format("No engine for model '{}' is ready right now.", request.model),
                 {},
                 config::soonest_recovery_ms(info.config->health)};
  }
  out.needed_ctx = request.estimated_prompt_tokens + request.max_tokens.value_or(1);
  const std::string_view priority_text = !info.priority().empty() ? info.priority()
                                         : request.priority ? std::string_view(*request.priority)
                                                            : std::string_view();
  if (!priority_text.empty()) {
    auto p = admission::parse_priority(priority_text);
    if (!p) {
      return Error{ErrorCode::InvalidParams, "priority must be 'interactive' or 'batch'.",
                   "priority", 0};
    }
    out.priority = *p;
  }
  auto deadline = api::request_deadline(info.deadline(), info.timeout_ms(), info.arrived,
                                        std::chrono::system_clock::now());
  if (!deadline) return deadline.error();
  if (*deadline <= deps.now()) {
    return Error{ErrorCode::DeadlineExceeded,
                 "The request's deadline had already passed when it arrived.",
                 {},
                 0};
  }
  out.deadline = *deadline;
  return std::nullopt;
}

// Frees a slot with the verdict the exchange reached about its endpoint; a completed exchange
// also reports how long it held the slot (the pool's service time: queue predictions).
void release_slot(control::ControlPlane& control, std::uint32_t endpoint, const ExchangeResult& r,
                  Millis held) {
  switch (r.verdict) {
    case EndpointVerdict::Healthy:
      control.release(endpoint, true,
                      r.outcome == ExchangeOutcome::Completed ? held : Millis::zero());
      break;
    case EndpointVerdict::Failed:
      control.release(endpoint, false);
      break;
    case EndpointVerdict::None:
      control.release_unused(endpoint);
      break;
  }
}

// Why a slot was not granted, as the error for the client; nullopt when the client left (counted
// and logged here: nothing is left to answer).
std::optional<Error> not_granted(const RelayDeps& deps, const RequestInfo& info,
                                 const api::CompletionRequest& request, const SlotOutcome& outcome,
                                 const Error& last_error) {
  switch (outcome.kind) {
    case SlotOutcome::Kind::ClientGone:
      deps.metrics->client_disconnects.inc();
      deps.metrics->count_request(info.route, 499);
      telemetry::log_event(LogLevel::Info, "cancel", info.correlation_id,
                           "The client went away while its request was queued; it was removed.");
      return std::nullopt;
    case SlotOutcome::Kind::TimedOut:
      return Error{ErrorCode::DeadlineExceeded,
                   "The request's deadline passed while it waited for an engine slot.",
                   {},
                   0};
    case SlotOutcome::Kind::Rejected:
    case SlotOutcome::Kind::Granted:
      break;
  }
  // Rejected by the scheduler; "every endpoint was tried" becomes the last engine's error.
  const Error& error = outcome.error.code == ErrorCode::UpstreamError ? last_error : outcome.error;
  telemetry::log_event(LogLevel::Info, "rejected", info.correlation_id,
                       "The request was refused at admission.",
                       {{"code", error.info().code}, {"model", std::string_view(request.model)}});
  return error;
}

// Whether an endpoint not tried yet (nor `current`) could take the request.
bool could_retry_elsewhere(const RelayDeps& deps, const api::CompletionRequest& request,
                           const SlotRequest& slot, std::vector<std::uint32_t>& excluded,
                           std::uint32_t current) {
  excluded.push_back(current);
  const bool untried = placement::has_untried_endpoint(deps.registry()->placement, request.model,
                                                       slot.needed_ctx, excluded);
  excluded.pop_back();
  return untried;
}

void log_failed_attempt(const RequestInfo& info, const control::EndpointInfo& endpoint,
                        const ExchangeResult& r, bool retry) {
  telemetry::log_event(
      LogLevel::Warn, "upstream_failed", info.correlation_id,
      retry ? "The engine failed before sending anything; trying another endpoint."
            : "The engine failed before sending anything, and no other endpoint is left to "
              "try; the client gets the error.",
      {{"endpoint", std::string_view(endpoint.url)},
       {"code", r.error.info().code},
       {"reason", telemetry::upstream_error_label(r.failure)},
       {"retry", retry}});
}

// A retry's backoff, in a frame of its own: a timer in run_completion's frame would be held for
// the whole life of every stream.
asio::awaitable<void> sleep_for(const RelayDeps* deps, Millis wait) {
  asio::steady_timer timer(deps->executor);
  timer.expires_after(wait);
  co_await timer.async_wait(kToken);
}

std::uint32_t max_attempts(const RequestInfo& info) {
  return std::max<std::uint32_t>(1, info.config->retry.max_attempts);
}

// prepare_slot, with its refusal (if any) stored in `error`; true when `slot` is ready.
bool slot_ready(const RelayDeps& deps, const RequestInfo& info,
                const api::CompletionRequest& request, SlotRequest& slot, Error& error) {
  std::optional<Error> refused = prepare_slot(deps, info, request, slot);
  if (!refused) return true;
  error = std::move(*refused);
  return false;
}

// One attempt's placement: the endpoint whose slot was granted and the request built for it.
struct Attempt {
  std::uint32_t endpoint_index = 0;
  // Held for the attempt: a reload that removes the endpoint meanwhile changes nothing here.
  std::shared_ptr<const control::EndpointInfo> endpoint;
  engines::UpstreamRequest upstream;
  // Whether a failure of this attempt could still go elsewhere (decides, for one, whether an
  // engine's 429 is retried or passed back to the client).
  bool may_retry = false;
};

enum class Placement : std::uint8_t {
  Placed,      // `out` holds the attempt; its slot must be released
  Refused,     // `error` says what the client is told
  ClientGone,  // the client left while it waited: nothing to answer (counted and logged)
};

// Waits for a slot and builds the attempt's request, in a frame that is gone before the exchange
// runs (the slot's outcome and the registry lookups are not held for the stream). `error` is the
// last attempt's failure on the way in, and the refusal on the way out.
asio::awaitable<Placement> place_attempt(const RelayDeps* deps, const RequestInfo* info,
                                         const api::CompletionRequest* request, SlotRequest* slot,
                                         StreamSink* sink, CloseEngineOnGone* on_gone,
                                         std::vector<std::uint32_t>* excluded,
                                         std::uint32_t attempt, UpstreamErrorKind retry_reason,
                                         Error* error, Attempt* out) {
  const TimePoint wait_start = deps->now();
  slot->first_attempt = attempt == 0;
  slot->excluded = *excluded;
  const SlotOutcome granted = co_await wait_for_slot(deps, info, request, slot, sink, on_gone);
  if (granted.kind != SlotOutcome::Kind::Granted) {
    std::optional<Error> refusal = not_granted(*deps, *info, *request, granted, *error);
    if (!refusal) co_return Placement::ClientGone;
    *error = std::move(*refusal);
    co_return Placement::Refused;
  }
  // Granted. A retry is counted here, when it really goes to another endpoint.
  out->endpoint_index = granted.endpoint;
  out->endpoint = deps->registry()->endpoint(granted.endpoint);
  if (!out->endpoint) {  // cannot happen: a granted slot keeps its endpoint registered
    deps->control->release_unused(granted.endpoint);
    *error = Error{ErrorCode::Internal, "The engine chosen for the request vanished.", {}, 0};
    co_return Placement::Refused;
  }
  const control::EndpointInfo& endpoint = *out->endpoint;
  if (attempt > 0) deps->metrics->count_retry(retry_reason);
  deps->metrics->queue_wait.observe_ns((deps->now() - wait_start).count());
  telemetry::log_event(LogLevel::Info, "placed", info->correlation_id,
                       "The request was admitted and placed on the least loaded ready engine.",
                       {{"endpoint", std::string_view(endpoint.url)},
                        {"pool", std::string_view(endpoint.pool_id)},
                        {"attempt", static_cast<std::uint64_t>(attempt + 1)}});
  sink->placed(endpoint.pool_id, endpoint.url);
  auto upstream = engines::make_upstream_request(endpoint.protocol, generation_request(*request),
                                                 endpoint.base_path);
  if (!upstream) {
    deps->control->release_unused(granted.endpoint);
    *error = upstream.error();
    co_return Placement::Refused;
  }
  out->upstream = std::move(*upstream);
  out->may_retry = attempt + 1 < max_attempts(*info) &&
                   could_retry_elsewhere(*deps, *request, *slot, *excluded, granted.endpoint);
  co_return Placement::Placed;
}

}  // namespace

asio::awaitable<bool> answer_error(const RelayDeps* deps, const RequestInfo* info, StreamSink* sink,
                                   const Error* error) {
  if (error->code == ErrorCode::DeadlineExceeded) deps->metrics->deadline_exceeded.inc();
  const ErrorInfo& code = error->info();
  const bool in_stream = sink->stream_open();
  telemetry::log_event(code.http_status >= 500 ? LogLevel::Warn : LogLevel::Info, "request_error",
                       info->correlation_id, "The request was answered with an error.",
                       {{"code", code.code},
                        {"status", static_cast<std::uint64_t>(code.http_status)},
                        {"message", std::string_view(error->message)},
                        {"in_stream", in_stream}});
  if (in_stream) {
    std::string out;
    sink->append_stream_error(out, *error);
    deps->metrics->count_request(info->route, 200);
    co_return co_await sink->end_stream(out);
  }
  deps->metrics->count_request(info->route, code.http_status);
  co_return co_await sink->send_error(*error);
}

asio::awaitable<void> run_completion(const RelayDeps* deps, const RequestInfo* info,
                                     api::CompletionRequest* request, StreamSink* sink) {
  // This frame stays allocated for a stream's whole life: it holds pointers, what the retry loop
  // needs and the current attempt; the rest lives in helpers that return before the stream
  // starts (place_attempt), and one Error serves as the last failure and the final answer.
  SlotRequest slot;
  // The latest attempt's result. Its error is what the client is told when the loop ends without
  // an answer; before any attempt failed, "every engine failed" (what a refusal after retries
  // becomes, see not_granted).
  ExchangeResult r;
  r.error =
      Error{ErrorCode::UpstreamError, "Every engine that could serve the request failed.", {}, 0};
  if (!slot_ready(*deps, *info, *request, slot, r.error)) {
    (void)co_await answer_error(deps, info, sink, &r.error);
    co_return;
  }
  CloseEngineOnGone on_gone;
  sink->watch(&on_gone);
  // The sink must not call on_gone after this frame is gone, however the pipeline ends.
  struct Unwatch {
    StreamSink* sink;
    ~Unwatch() { sink->watch(nullptr); }
  } const unwatch{sink};

  std::vector<std::uint32_t> excluded;
  UpstreamErrorKind retry_reason = UpstreamErrorKind::Reset;  // why attempt > 0 exists
  Attempt current;
  bool failed = false;  // the loop ended without an answer: r.error goes to the client

  for (std::uint32_t attempt = 0;; ++attempt) {
    const Placement placed =
        co_await place_attempt(deps, info, request, &slot, sink, &on_gone, &excluded, attempt,
                               retry_reason, &r.error, &current);
    if (placed != Placement::Placed) {
      failed = placed == Placement::Refused;
      break;
    }
    deps->active_requests->fetch_add(1, std::memory_order_relaxed);
    // Named, and passed by address: the exchange reads it from this frame, which outlives it,
    // so a stream holds one copy. (Never a braced temporary as a coroutine argument: GCC 12
    // destroys those twice, see docs/architecture.md.)
    const ExchangeInput input{deps,
                              info,
                              current.endpoint.get(),
                              request,
                              &current.upstream,
                              &request->upstream_body,
                              &current.upstream.body,
                              slot.deadline,
                              sink,
                              &on_gone,
                              current.may_retry};
    r = ExchangeResult{};
    const TimePoint exchange_start = deps->now();
    co_await run_exchange(&input, &r);
    deps->active_requests->fetch_sub(1, std::memory_order_relaxed);
    release_slot(*deps->control, current.endpoint_index, r,
                 std::chrono::duration_cast<Millis>(deps->now() - exchange_start));

    if (r.outcome == ExchangeOutcome::DeadlineExceeded || r.outcome == ExchangeOutcome::GaveUp) {
      failed = !r.client_answered;
      break;
    }
    if (r.outcome != ExchangeOutcome::RetryableFailure) break;  // answered, or the client left

    // Look again now: the registry may have changed while the attempt ran.
    const bool retry =
        attempt + 1 < max_attempts(*info) &&
        could_retry_elsewhere(*deps, *request, slot, excluded, current.endpoint_index);
    excluded.push_back(current.endpoint_index);
    log_failed_attempt(*info, *current.endpoint, r, retry);
    if (!retry) {
      failed = true;
      break;
    }
    retry_reason = r.failure;
    co_await sleep_for(deps, retry_backoff(info->config->retry, attempt));
  }
  if (failed) (void)co_await answer_error(deps, info, sink, &r.error);
}

}  // namespace sy::relay
