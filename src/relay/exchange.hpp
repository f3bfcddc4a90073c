#pragma once
// One attempt at serving a request on one engine endpoint: get a connection, send, triage the
// answer's head, relay the answer (a whole body, or the token stream) to the client's sink. The
// streaming relay is the hot path: per read it parses SSE, translates and writes once, with
// reused buffers and no locks.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>

#include "api/completion_request.hpp"
#include "common/error.hpp"
#include "control/endpoint_info.hpp"
#include "engines/upstream_request.hpp"
#include "relay/client_gone.hpp"
#include "relay/relay_deps.hpp"
#include "relay/request_info.hpp"
#include "relay/stream_sink.hpp"

namespace sy::relay {

enum class ExchangeOutcome : std::uint8_t {
  Completed,         // the client got the whole answer (2xx, or the engine's own 4xx)
  RetryableFailure,  // the engine failed before anything of its answer reached the client
  Failed,            // the engine failed after data was relayed; the client got an error event
  ClientGone,        // the client left; the engine connection was closed
  GaveUp,            // not retried: the engine took the request but did not answer in time (it
                     // may still be generating), or the server is shutting down; `error` is for
                     // the client unless client_answered
  DeadlineExceeded,  // the deadline passed; the client got a 504 or an error event
};

// What the exchange says about the endpoint's health (docs/resilience.md has the table).
enum class EndpointVerdict : std::uint8_t {
  Healthy,  // it answered coherently (a 2xx, or its own 4xx: the request's fault)
  Failed,   // it failed in a way that counts against its breaker (connect, reset, 5xx, stall...)
  None,     // no verdict: backpressure (429/503), the client left, the deadline, shutdown, or an
            // error the engine reported about this request inside its stream
};

struct ExchangeResult {
  ExchangeOutcome outcome = ExchangeOutcome::Completed;
  EndpointVerdict verdict = EndpointVerdict::Healthy;
  Error error;  // RetryableFailure: what to tell the client if no retry is left
  // RetryableFailure: why, which is the reason a retry that follows is counted under.
  telemetry::UpstreamErrorKind failure = telemetry::UpstreamErrorKind::Reset;
  bool client_answered = false;  // the exchange itself wrote the final answer or error event
};

// Every pointer outlives the exchange (they live in the pipeline's coroutine frame or longer).
struct ExchangeInput {
  const RelayDeps* deps = nullptr;
  const RequestInfo* info = nullptr;
  const control::EndpointInfo* endpoint = nullptr;
  const api::CompletionRequest* request = nullptr;
  const engines::UpstreamRequest* upstream = nullptr;
  // The request bodies kept for a retry (the client's, and the one built for the engine). A
  // stream that started can no longer be retried, so it frees them: a long prompt is not held
  // twice for minutes.
  std::string* client_body = nullptr;
  std::string* engine_body = nullptr;
  TimePoint deadline = TimePoint::max();
  StreamSink* sink = nullptr;
  CloseEngineOnGone* on_gone = nullptr;  // pointed at this exchange's engine connection
  // Another endpoint could take a retry. When false, an engine's 429/503 is passed back to the
  // client (with its Retry-After) instead of being reported as a RetryableFailure.
  bool may_retry = false;
};

// `in` and `out` live in the caller's frame, which awaits the exchange: a stream holds one copy
// of each, not one per coroutine frame on its chain. The result is written to `out`.
[[nodiscard]] boost::asio::awaitable<void> run_exchange(const ExchangeInput* in,
                                                        ExchangeResult* out);

}  // namespace sy::relay
