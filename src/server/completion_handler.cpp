#include "server/completion_handler.hpp"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "admission/priority.hpp"
#include "api/deadline.hpp"
#include "api/error_body.hpp"
#include "engines/upstream_request.hpp"
#include "placement/slot_board.hpp"
#include "server/client_watch.hpp"
#include "server/response_writer.hpp"
#include "server/upstream_exchange.hpp"
#include "sse/sse_writer.hpp"
#include "telemetry/log.hpp"

namespace sy::server {

namespace asio = boost::asio;
using telemetry::LogLevel;

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

// Answers with an error: as an HTTP status while nothing was sent, else as an SSE error event.
asio::awaitable<bool> answer_error(RequestContext& rc, const Error& error, bool headers_sent) {
  if (error.code == ErrorCode::DeadlineExceeded) rc.worker.metrics.deadline_exceeded.inc();
  const ErrorInfo& info = error.info();
  telemetry::log_event(info.http_status >= 500 ? LogLevel::Warn : LogLevel::Info, "request_error",
                       rc.correlation_id, "The request was answered with an error.",
                       {{"code", info.code},
                        {"status", static_cast<std::uint64_t>(info.http_status)},
                        {"message", std::string_view(error.message)},
                        {"in_stream", headers_sent}});
  if (headers_sent) {
    std::string out;
    sse::append_data_event(out, api::error_body(error));
    sse::append_done(out);
    rc.worker.metrics.count_request(rc.route, 200);
    co_return co_await write_last_chunk(rc.client, out, rc.chunked()) && rc.keep_alive;
  }
  rc.worker.metrics.count_request(rc.route, error.info().http_status);
  co_return co_await write_error(rc.client, error, rc.correlation_id, rc.reply()) && rc.keep_alive;
}

}  // namespace

asio::awaitable<bool> handle_completion(RequestContext& rc, api::CompletionKind kind,
                                        std::string& body) {
  Worker& worker = rc.worker;
  ServerShared& shared = worker.shared;
  const config::Config& config = shared.config;

  auto parsed = api::parse_completion_request(kind, std::move(body));
  if (!parsed) {
    const Error e = parsed.error();
    co_return co_await answer_error(rc, e, false);
  }
  const api::CompletionRequest& request = *parsed;
  // An HTTP/1.0 client cannot take a chunked stream: its stream ends with the connection.
  if (request.stream && rc.http10) rc.keep_alive = false;

  if (shared.draining.load(std::memory_order_relaxed)) {
    const Error e{ErrorCode::ShuttingDown,
                  "The server is shutting down; retry on another instance.",
                  {},
                  1000};
    co_return co_await answer_error(rc, e, false);
  }
  const auto snapshot = worker.registry();
  if (!snapshot->serves_model(request.model)) {
    const Error e{
        ErrorCode::ModelNotFound,
        fmt::format("The model '{}' does not exist here; GET /v1/models lists the models served.",
                    request.model),
        "model", 0};
    co_return co_await answer_error(rc, e, false);
  }
  if (!snapshot->model_ready(request.model)) {
    const Error e{ErrorCode::PoolUnavailable,
                  fmt::format("No engine for model '{}' is ready right now.", request.model),
                  {},
                  config::soonest_recovery_ms(config.health)};
    co_return co_await answer_error(rc, e, false);
  }

  admission::Priority priority = admission::Priority::Interactive;
  const std::string_view priority_text = !rc.priority.empty() ? std::string_view(rc.priority)
                                         : request.priority   ? std::string_view(*request.priority)
                                                              : std::string_view();
  if (!priority_text.empty()) {
    auto p = admission::parse_priority(priority_text);
    if (!p) {
      const Error e{ErrorCode::InvalidParams, "priority must be 'interactive' or 'batch'.",
                    "priority", 0};
      co_return co_await answer_error(rc, e, false);
    }
    priority = *p;
  }

  auto deadline = api::request_deadline(rc.deadline, rc.timeout_ms, rc.arrived,
                                        std::chrono::system_clock::now());
  if (!deadline) {
    const Error e = deadline.error();
    co_return co_await answer_error(rc, e, false);
  }
  if (*deadline <= Clock::now()) {
    const Error e{ErrorCode::DeadlineExceeded,
                  "The request's deadline had already passed when it arrived.",
                  {},
                  0};
    co_return co_await answer_error(rc, e, false);
  }

  auto watch = std::make_shared<ClientWatch>(rc.client, rc.client_buffer);
  watch->start();
  bool headers_sent = false;
  bool keep = false;
  std::vector<std::uint32_t> excluded;
  Error last_error{
      ErrorCode::UpstreamError, "Every engine that could serve the request failed.", {}, 0};
  const std::uint32_t needed_ctx = request.estimated_prompt_tokens + request.max_tokens.value_or(1);
  const std::uint32_t attempts = std::max<std::uint32_t>(1, config.retry.max_attempts);
  bool answered = false;
  UpstreamErrorKind retry_reason = UpstreamErrorKind::Reset;  // why attempt > 0 exists

  for (std::uint32_t attempt = 0; attempt < attempts && !answered; ++attempt) {
    // Fast path: nothing of this model waits and an endpoint has a free slot, so claim it here,
    // on this thread, without a round trip through the control thread. Sessions and retries
    // (which need the scheduler's affinity and exclusions) always go through the scheduler.
    const TimePoint wait_start = Clock::now();
    std::optional<std::uint32_t> claimed;
    if (attempt == 0 && rc.session_id.empty()) {
      claimed =
          placement::claim_free_slot(*snapshot, *shared.control.board(), request.model, needed_ctx);
    }
    std::uint32_t endpoint_index = 0;
    if (claimed) {
      endpoint_index = *claimed;
    } else {
      auto waiter = std::make_shared<AdmissionWaiter>(rc.client.get_executor());
      placement::Ticket ticket;
      ticket.id = shared.control.next_ticket_id();
      ticket.model = request.model;
      ticket.priority = priority;
      ticket.needed_ctx = needed_ctx;
      ticket.deadline = *deadline;
      ticket.session_id = rc.session_id;
      ticket.excluded = excluded;
      const std::uint64_t ticket_id = ticket.id;
      shared.control.submit(std::move(ticket), waiter);
      watch->set_wake(&waiter->wake);
      bool announced_queue = false;

      while (waiter->state == AdmissionWaiter::State::Waiting) {
        TimePoint wake_at = *deadline;
        if (request.stream && waiter->queued && announced_queue) {
          wake_at = std::min(wake_at, Clock::now() + Millis(config.queue.position_interval_ms));
        }
        waiter->wake.expires_at(wake_at);
        co_await waiter->wake.async_wait(kToken);
        if (waiter->state != AdmissionWaiter::State::Waiting) break;
        if (watch->client_gone() || Clock::now() >= *deadline) {
          waiter->state = AdmissionWaiter::State::Abandoned;
          shared.control.cancel(ticket_id);
          break;
        }
        if (waiter->queued && !announced_queue) {
          announced_queue = true;
          telemetry::log_event(
              LogLevel::Info, "queued", rc.correlation_id,
              "Every engine slot for the model is busy; the request waits in the queue.",
              {{"model", std::string_view(request.model)},
               {"priority", admission::to_string(priority)},
               {"queue_position", static_cast<std::uint64_t>(waiter->position)}});
        }
        if (request.stream && waiter->queued) {
          // Streamed requests learn at once that they wait, and where they stand (SSE comments,
          // which OpenAI clients ignore).
          bool ok = true;
          if (!headers_sent) {
            ok = co_await write_sse_head(rc.client, rc.correlation_id, rc.reply());
            headers_sent = true;
          }
          std::string comment;
          sse::append_comment(comment, fmt::format("queued position={}", waiter->position + 1));
          ok = ok && co_await write_chunk(rc.client, comment, rc.chunked());
          if (!ok) watch->mark_gone();
          shared.control.query_position(ticket_id, waiter);
        }
      }
      watch->set_wake(nullptr);

      if (waiter->state == AdmissionWaiter::State::Abandoned) {
        if (watch->client_gone()) {
          worker.metrics.client_disconnects.inc();
          worker.metrics.count_request(rc.route, 499);
          telemetry::log_event(
              LogLevel::Info, "cancel", rc.correlation_id,
              "The client went away while its request was queued; it was removed.");
          answered = true;
          keep = false;
          break;
        }
        const Error e{ErrorCode::DeadlineExceeded,
                      "The request's deadline passed while it waited for an engine slot.",
                      {},
                      0};
        keep = co_await answer_error(rc, e, headers_sent);
        answered = true;
        break;
      }
      if (waiter->state == AdmissionWaiter::State::Rejected) {
        Error error = waiter->error;
        if (error.code == ErrorCode::UpstreamError) error = last_error;  // every endpoint tried
        telemetry::log_event(
            LogLevel::Info, "rejected", rc.correlation_id, "The request was refused at admission.",
            {{"code", error.info().code}, {"model", std::string_view(request.model)}});
        keep = co_await answer_error(rc, error, headers_sent);
        answered = true;
        break;
      }
      endpoint_index = waiter->endpoint;
    }

    // Granted. A retry is counted here, when it really goes to another endpoint.
    const EndpointInfo& endpoint = shared.control.endpoints()[endpoint_index];
    if (attempt > 0) worker.metrics.count_retry(retry_reason);
    worker.metrics.queue_wait.observe_ns((Clock::now() - wait_start).count());
    telemetry::log_event(LogLevel::Info, "placed", rc.correlation_id,
                         "The request was admitted and placed on the least loaded ready engine.",
                         {{"endpoint", std::string_view(endpoint.url)},
                          {"pool", std::string_view(endpoint.pool_id)},
                          {"attempt", static_cast<std::uint64_t>(attempt + 1)}});
    auto upstream = engines::make_upstream_request(endpoint.protocol, request, endpoint.base_path);
    if (!upstream) {
      shared.control.release_unused(endpoint_index);
      const Error e = upstream.error();
      keep = co_await answer_error(rc, e, headers_sent);
      answered = true;
      break;
    }
    // Whether a failure of this attempt could still go elsewhere (decides, for one, whether an
    // engine's 429 is retried or passed back to the client).
    excluded.push_back(endpoint_index);
    const bool may_retry =
        attempt + 1 < attempts &&
        placement::has_untried_endpoint(*worker.registry(), request.model, needed_ctx, excluded);
    excluded.pop_back();
    shared.active_requests.fetch_add(1, std::memory_order_relaxed);
    ExchangeResult r = co_await run_exchange(ExchangeInput{
        rc, endpoint, request, *upstream, *deadline, *watch, headers_sent, may_retry});
    shared.active_requests.fetch_sub(1, std::memory_order_relaxed);
    switch (r.verdict) {
      case EndpointVerdict::Healthy:
        shared.control.release(endpoint_index, true);
        break;
      case EndpointVerdict::Failed:
        shared.control.release(endpoint_index, false);
        break;
      case EndpointVerdict::None:
        shared.control.release_unused(endpoint_index);
        break;
    }

    switch (r.outcome) {
      case ExchangeOutcome::Completed:
      case ExchangeOutcome::Failed:
      case ExchangeOutcome::ClientGone:
        keep = r.keep_alive;
        answered = true;
        break;
      case ExchangeOutcome::DeadlineExceeded:
      case ExchangeOutcome::GaveUp:
        keep = r.client_answered ? r.keep_alive : co_await answer_error(rc, r.error, headers_sent);
        answered = true;
        break;
      case ExchangeOutcome::RetryableFailure: {
        last_error = r.error;
        excluded.push_back(endpoint_index);
        // Look again now: the registry may have changed while the attempt ran.
        const bool retry =
            attempt + 1 < attempts && placement::has_untried_endpoint(
                                          *worker.registry(), request.model, needed_ctx, excluded);
        telemetry::log_event(
            LogLevel::Warn, "upstream_failed", rc.correlation_id,
            retry ? "The engine failed before sending anything; trying another endpoint."
                  : "The engine failed before sending anything, and no other endpoint is left to "
                    "try; the client gets the error.",
            {{"endpoint", std::string_view(endpoint.url)},
             {"code", r.error.info().code},
             {"reason", upstream_error_label(r.failure)},
             {"retry", retry}});
        if (!retry) {
          keep = co_await answer_error(rc, last_error, headers_sent);
          answered = true;
          break;
        }
        retry_reason = r.failure;
        asio::steady_timer backoff(rc.client.get_executor());
        backoff.expires_after(retry_backoff(config.retry, attempt));
        co_await backoff.async_wait(kToken);
        break;
      }
    }
  }
  if (!answered) keep = co_await answer_error(rc, last_error, headers_sent);

  watch->stop();
  co_await watch->stopped();
  co_return keep && !watch->client_gone();
}

}  // namespace sy::server
