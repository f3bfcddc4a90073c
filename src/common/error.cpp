#include "common/error.hpp"

namespace sy {

const ErrorInfo& error_info(ErrorCode code) noexcept {
  static const ErrorInfo kInvalidJson{400, "invalid_json", "invalid_request_error", false,
                                      "INVALID_PARAMS"};
  static const ErrorInfo kInvalidParams{400, "invalid_params", "invalid_request_error", false,
                                        "INVALID_PARAMS"};
  static const ErrorInfo kNotFound{404, "not_found", "invalid_request_error", false, "NOT_FOUND"};
  static const ErrorInfo kModelNotFound{404, "model_not_found", "invalid_request_error", false,
                                        "NOT_FOUND"};
  static const ErrorInfo kMethod{405, "method_not_allowed", "invalid_request_error", false,
                                 "INVALID_PARAMS"};
  static const ErrorInfo kTooLarge{413, "payload_too_large", "invalid_request_error", false,
                                   "INVALID_PARAMS"};
  static const ErrorInfo kHeaders{431, "headers_too_large", "invalid_request_error", false,
                                  "INVALID_PARAMS"};
  static const ErrorInfo kQueueFull{429, "queue_full", "rate_limit_error", true,
                                    "ADMISSION_REJECT"};
  static const ErrorInfo kPoolUnavailable{503, "pool_unavailable", "service_unavailable", true,
                                          "POOL_UNAVAILABLE"};
  static const ErrorInfo kShuttingDown{503, "shutting_down", "service_unavailable", true,
                                       "SHUTTING_DOWN"};
  static const ErrorInfo kDeadline{504, "deadline_exceeded", "timeout_error", false,
                                   "DEADLINE_EXCEEDED"};
  static const ErrorInfo kUpstream{502, "upstream_error", "server_error", true, "WORKER_RESET"};
  static const ErrorInfo kUpstreamTimeout{504, "upstream_timeout", "timeout_error", true,
                                          "DECODE_TIMEOUT"};
  static const ErrorInfo kStalled{504, "stream_stalled", "timeout_error", true, "DECODE_TIMEOUT"};
  static const ErrorInfo kInternal{500, "internal_error", "server_error", true, "INTERNAL"};
  static const ErrorInfo kEndpointRemoved{503, "endpoint_removed", "service_unavailable", true,
                                          "POOL_UNAVAILABLE"};
  static const ErrorInfo kUnauthorized{401, "invalid_admin_token", "authentication_error", false,
                                       "UNAUTHORIZED"};
  static const ErrorInfo kAdminDisabled{403, "admin_disabled", "permission_error", false,
                                        "FORBIDDEN"};
  static const ErrorInfo kInvalidConfig{422, "invalid_config", "invalid_request_error", false,
                                        "INVALID_PARAMS"};
  static const ErrorInfo kRestartRequired{409, "restart_required", "invalid_request_error", false,
                                          "INVALID_PARAMS"};
  static const ErrorInfo kTaskNotFound{404, "task_not_found", "invalid_request_error", false,
                                       "NOT_FOUND"};
  static const ErrorInfo kTaskExists{409, "task_exists", "invalid_request_error", false,
                                     "TASK_EXISTS"};
  static const ErrorInfo kFramesExpired{410, "frames_expired", "invalid_request_error", false,
                                        "FRAMES_EXPIRED"};
  static const ErrorInfo kDeadlineUnmet{400, "deadline_unmet", "invalid_request_error", false,
                                        "DEADLINE_UNMET"};
  static const ErrorInfo kBudget{429, "budget_exhausted", "rate_limit_error", false,
                                 "BUDGET_EXHAUSTED"};
  static const ErrorInfo kCanceled{499, "canceled", "invalid_request_error", false, "CANCELED"};
  switch (code) {
    case ErrorCode::InvalidJson:
      return kInvalidJson;
    case ErrorCode::InvalidParams:
      return kInvalidParams;
    case ErrorCode::NotFound:
      return kNotFound;
    case ErrorCode::ModelNotFound:
      return kModelNotFound;
    case ErrorCode::MethodNotAllowed:
      return kMethod;
    case ErrorCode::PayloadTooLarge:
      return kTooLarge;
    case ErrorCode::HeadersTooLarge:
      return kHeaders;
    case ErrorCode::QueueFull:
      return kQueueFull;
    case ErrorCode::PoolUnavailable:
      return kPoolUnavailable;
    case ErrorCode::ShuttingDown:
      return kShuttingDown;
    case ErrorCode::DeadlineExceeded:
      return kDeadline;
    case ErrorCode::UpstreamError:
      return kUpstream;
    case ErrorCode::UpstreamTimeout:
      return kUpstreamTimeout;
    case ErrorCode::StreamStalled:
      return kStalled;
    case ErrorCode::Internal:
      return kInternal;
    case ErrorCode::EndpointRemoved:
      return kEndpointRemoved;
    case ErrorCode::Unauthorized:
      return kUnauthorized;
    case ErrorCode::AdminDisabled:
      return kAdminDisabled;
    case ErrorCode::InvalidConfig:
      return kInvalidConfig;
    case ErrorCode::RestartRequired:
      return kRestartRequired;
    case ErrorCode::TaskNotFound:
      return kTaskNotFound;
    case ErrorCode::TaskExists:
      return kTaskExists;
    case ErrorCode::FramesExpired:
      return kFramesExpired;
    case ErrorCode::DeadlineUnmet:
      return kDeadlineUnmet;
    case ErrorCode::BudgetExhausted:
      return kBudget;
    case ErrorCode::Canceled:
      return kCanceled;
  }
  return kInternal;
}

}  // namespace sy
