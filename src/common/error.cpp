#include "common/error.hpp"

namespace sy {

const ErrorInfo& error_info(ErrorCode code) noexcept {
  static const ErrorInfo kInvalidJson{400, "invalid_json", "invalid_request_error", false};
  static const ErrorInfo kInvalidParams{400, "invalid_params", "invalid_request_error", false};
  static const ErrorInfo kNotFound{404, "not_found", "invalid_request_error", false};
  static const ErrorInfo kModelNotFound{404, "model_not_found", "invalid_request_error", false};
  static const ErrorInfo kMethod{405, "method_not_allowed", "invalid_request_error", false};
  static const ErrorInfo kTooLarge{413, "payload_too_large", "invalid_request_error", false};
  static const ErrorInfo kHeaders{431, "headers_too_large", "invalid_request_error", false};
  static const ErrorInfo kQueueFull{429, "queue_full", "rate_limit_error", true};
  static const ErrorInfo kPoolUnavailable{503, "pool_unavailable", "service_unavailable", true};
  static const ErrorInfo kShuttingDown{503, "shutting_down", "service_unavailable", true};
  static const ErrorInfo kDeadline{504, "deadline_exceeded", "timeout_error", false};
  static const ErrorInfo kUpstream{502, "upstream_error", "server_error", true};
  static const ErrorInfo kUpstreamTimeout{504, "upstream_timeout", "timeout_error", true};
  static const ErrorInfo kStalled{504, "stream_stalled", "timeout_error", true};
  static const ErrorInfo kInternal{500, "internal_error", "server_error", true};
  static const ErrorInfo kEndpointRemoved{503, "endpoint_removed", "service_unavailable", true};
  static const ErrorInfo kUnauthorized{401, "invalid_admin_token", "authentication_error", false};
  static const ErrorInfo kAdminDisabled{403, "admin_disabled", "permission_error", false};
  static const ErrorInfo kInvalidConfig{422, "invalid_config", "invalid_request_error", false};
  static const ErrorInfo kRestartRequired{409, "restart_required", "invalid_request_error", false};
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
  }
  return kInternal;
}

}  // namespace sy
