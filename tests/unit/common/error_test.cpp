// The ErrorCode table: every code maps to a status, a stable code string, a type and retry advice.

#include "common/error.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sy {
namespace {

const std::vector<ErrorCode>& all_codes() {
  static const std::vector<ErrorCode> kAll = {
      ErrorCode::InvalidJson,     ErrorCode::InvalidParams,    ErrorCode::NotFound,
      ErrorCode::ModelNotFound,   ErrorCode::MethodNotAllowed, ErrorCode::PayloadTooLarge,
      ErrorCode::HeadersTooLarge, ErrorCode::QueueFull,        ErrorCode::PoolUnavailable,
      ErrorCode::ShuttingDown,    ErrorCode::DeadlineExceeded, ErrorCode::UpstreamError,
      ErrorCode::UpstreamTimeout, ErrorCode::StreamStalled,    ErrorCode::Internal,
      ErrorCode::EndpointRemoved, ErrorCode::Unauthorized,     ErrorCode::AdminDisabled,
      ErrorCode::InvalidConfig,   ErrorCode::RestartRequired,  ErrorCode::TaskNotFound,
      ErrorCode::TaskExists,      ErrorCode::FramesExpired,    ErrorCode::DeadlineUnmet,
      ErrorCode::BudgetExhausted, ErrorCode::Canceled,
  };
  return kAll;
}

TEST(ErrorInfo, GivesEveryCodeAStatusCodeAndType) {
  for (ErrorCode c : all_codes()) {
    const ErrorInfo& info = error_info(c);
    EXPECT_GE(info.http_status, 400) << static_cast<int>(c);
    EXPECT_LE(info.http_status, 599) << static_cast<int>(c);
    EXPECT_FALSE(info.code.empty()) << static_cast<int>(c);
    EXPECT_FALSE(info.type.empty()) << static_cast<int>(c);
  }
}

TEST(ErrorInfo, GivesEveryCodeADistinctCodeString) {
  std::set<std::string_view> codes;
  for (ErrorCode c : all_codes()) codes.insert(error_info(c).code);
  EXPECT_EQ(codes.size(), all_codes().size());
}

TEST(ErrorInfo, CoversTheWholeEnum) {
  // The last enumerator is Canceled; every value up to it is in all_codes(), so the table above
  // is complete. Adding an enumerator without extending all_codes() fails here.
  EXPECT_EQ(static_cast<std::size_t>(ErrorCode::Canceled) + 1, all_codes().size());
}

// The native API speaks llama-orch's taxonomy (plus the codes api/openapi.yaml adds); the
// same internal error feeds both APIs.
TEST(ErrorInfo, GivesEveryCodeANativeCodeFromTheTaxonomy) {
  const std::set<std::string_view> taxonomy = {
      "ADMISSION_REJECT", "QUEUE_FULL_DROP_LRU", "INVALID_PARAMS",   "POOL_UNREADY",
      "POOL_UNAVAILABLE", "REPLICA_EXHAUSTED",   "DECODE_TIMEOUT",   "WORKER_RESET",
      "INTERNAL",         "DEADLINE_UNMET",      "MODEL_DEPRECATED", "UNTRUSTED_ARTIFACT",
      "CANCELED",         "DEADLINE_EXCEEDED",   "BUDGET_EXHAUSTED", "NOT_FOUND",
      "FRAMES_EXPIRED",   "TASK_EXISTS",         "SHUTTING_DOWN",    "UNAUTHORIZED",
      "FORBIDDEN"};
  for (ErrorCode c : all_codes()) {
    EXPECT_EQ(taxonomy.count(error_info(c).native), 1u) << error_info(c).code;
  }
  EXPECT_EQ(error_info(ErrorCode::InvalidParams).native, "INVALID_PARAMS");
  EXPECT_EQ(error_info(ErrorCode::QueueFull).native, "ADMISSION_REJECT");
  EXPECT_EQ(error_info(ErrorCode::UpstreamError).native, "WORKER_RESET");
  EXPECT_EQ(error_info(ErrorCode::StreamStalled).native, "DECODE_TIMEOUT");
  EXPECT_EQ(error_info(ErrorCode::DeadlineUnmet).native, "DEADLINE_UNMET");
  EXPECT_EQ(error_info(ErrorCode::FramesExpired).http_status, 410);
}

struct Expected {
  ErrorCode code;
  int status;
  std::string_view code_text;
  std::string_view type;
  bool retriable;
};

TEST(ErrorInfo, MatchesTheDocumentedTable) {
  const Expected table[] = {
      {ErrorCode::InvalidJson, 400, "invalid_json", "invalid_request_error", false},
      {ErrorCode::InvalidParams, 400, "invalid_params", "invalid_request_error", false},
      {ErrorCode::NotFound, 404, "not_found", "invalid_request_error", false},
      {ErrorCode::ModelNotFound, 404, "model_not_found", "invalid_request_error", false},
      {ErrorCode::MethodNotAllowed, 405, "method_not_allowed", "invalid_request_error", false},
      {ErrorCode::PayloadTooLarge, 413, "payload_too_large", "invalid_request_error", false},
      {ErrorCode::HeadersTooLarge, 431, "headers_too_large", "invalid_request_error", false},
      {ErrorCode::QueueFull, 429, "queue_full", "rate_limit_error", true},
      {ErrorCode::PoolUnavailable, 503, "pool_unavailable", "service_unavailable", true},
      {ErrorCode::ShuttingDown, 503, "shutting_down", "service_unavailable", true},
      {ErrorCode::DeadlineExceeded, 504, "deadline_exceeded", "timeout_error", false},
      {ErrorCode::UpstreamError, 502, "upstream_error", "server_error", true},
      {ErrorCode::UpstreamTimeout, 504, "upstream_timeout", "timeout_error", true},
      {ErrorCode::StreamStalled, 504, "stream_stalled", "timeout_error", true},
      {ErrorCode::Internal, 500, "internal_error", "server_error", true},
  };
  for (const Expected& e : table) {
    const ErrorInfo& info = error_info(e.code);
    EXPECT_EQ(info.http_status, e.status) << e.code_text;
    EXPECT_EQ(info.code, e.code_text);
    EXPECT_EQ(info.type, e.type) << e.code_text;
    EXPECT_EQ(info.retriable, e.retriable) << e.code_text;
  }
}

TEST(ErrorInfo, MarksQueueFullAsRetriable429) {
  const ErrorInfo& info = error_info(ErrorCode::QueueFull);
  EXPECT_EQ(info.http_status, 429);
  EXPECT_TRUE(info.retriable);
}

TEST(ErrorInfo, MarksClientMistakesAsNotRetriable) {
  for (ErrorCode c : all_codes()) {
    const ErrorInfo& info = error_info(c);
    if (info.http_status >= 400 && info.http_status < 500 && c != ErrorCode::QueueFull) {
      EXPECT_FALSE(info.retriable) << info.code;
    }
  }
}

TEST(ErrorInfo, FallsBackToInternalForOutOfRangeCode) {
  const ErrorInfo& info = error_info(static_cast<ErrorCode>(200));
  EXPECT_EQ(info.http_status, 500);
  EXPECT_EQ(info.code, "internal_error");
}

TEST(Error, InfoFollowsTheCode) {
  const Error e{ErrorCode::ModelNotFound, "no such model", "model", 0};
  EXPECT_EQ(e.info().http_status, 404);
  EXPECT_EQ(e.info().code, "model_not_found");
}

TEST(Fail, BuildsAnUnexpectedWithCodeMessageAndParam) {
  const Result<int> r = fail(ErrorCode::InvalidParams, "bad", "max_tokens");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::InvalidParams);
  EXPECT_EQ(r.error().message, "bad");
  EXPECT_EQ(r.error().param, "max_tokens");
  EXPECT_EQ(r.error().retry_after_ms, 0u);
}

TEST(Fail, LeavesParamEmptyWhenNotGiven) {
  const Result<int> r = fail(ErrorCode::Internal, "oops");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().param.empty());
}

}  // namespace
}  // namespace sy
