#pragma once
// sy::Error and sy::Result: the one way errors travel through Switchyard.
// Every error a client can see maps to an ErrorCode, which fixes its HTTP status, its
// OpenAI `type`, and whether retrying can help.

#include <cstdint>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace sy {

enum class ErrorCode : std::uint8_t {
  InvalidJson,       // 400: the body is not JSON
  InvalidParams,     // 400: JSON, but a field is missing or wrong
  NotFound,          // 404: no such route
  ModelNotFound,     // 404: no pool is configured for the model
  MethodNotAllowed,  // 405
  PayloadTooLarge,   // 413
  HeadersTooLarge,   // 431
  QueueFull,         // 429: admission queue is at capacity (or the request was shed)
  PoolUnavailable,   // 503: pools exist for the model but none is ready
  ShuttingDown,      // 503: the server is draining
  DeadlineExceeded,  // 504: the request's deadline passed
  UpstreamError,     // 502: the engine failed or answered with an error
  UpstreamTimeout,   // 504: the engine did not connect or answer in time
  StreamStalled,     // 504: no event from the engine within stall_timeout_ms
  Internal,          // 500
  EndpointRemoved,   // 503: the engine was removed from the configuration and its drain ran out
  Unauthorized,      // 401: an admin route without the right admin token
  AdminDisabled,     // 403: an admin route, and the configuration sets no admin token
  InvalidConfig,     // 422: a reload found the configuration file invalid (the old one stays)
  RestartRequired,   // 409: a reload changes settings that only take effect at restart
  // The native task API's own (api/openapi.yaml):
  TaskNotFound,     // 404: no task with that id (or it was forgotten after its retention)
  TaskExists,       // 409: a client-chosen task_id that is already in use
  FramesExpired,    // 410: the frames after Last-Event-ID are no longer retained
  DeadlineUnmet,    // 400: the predicted start plus the estimated decode time miss the deadline
  BudgetExhausted,  // 429: the session's token or time budget cannot cover the task
  Canceled,         // a canceled task's outcome (GET /v1/tasks/{id}); never an HTTP answer
};

struct ErrorInfo {
  int http_status;
  std::string_view code;  // stable machine-readable code, sent as `code` (OpenAI-compatible API)
  std::string_view type;  // OpenAI error `type`
  bool retriable;
  // The native API's code for it (llama-orch's taxonomy: INVALID_PARAMS, ADMISSION_REJECT...).
  std::string_view native;
};

// The fixed properties of each code; a pure table lookup.
[[nodiscard]] const ErrorInfo& error_info(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;  // a sentence a person understands
  std::string param;    // the offending request field, when there is one
  std::uint32_t retry_after_ms = 0;

  [[nodiscard]] const ErrorInfo& info() const noexcept { return error_info(code); }
};

template <typename T>
using Result = tl::expected<T, Error>;

[[nodiscard]] inline tl::unexpected<Error> fail(ErrorCode code, std::string message,
                                                std::string param = {}) {
  return tl::unexpected<Error>(Error{code, std::move(message), std::move(param), 0});
}

[[nodiscard]] inline tl::unexpected<Error> fail(Error error) {
  return tl::unexpected<Error>(std::move(error));
}

}  // namespace sy
