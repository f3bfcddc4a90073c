// The OpenAI error envelope with Switchyard's retry advice.

#include "api/error_body.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sy::api {
namespace {

TEST(ErrorBody, WritesParamAsStringWhenSet) {
  const Error e{ErrorCode::InvalidParams, "`max_tokens` must be positive.", "max_tokens", 0};
  EXPECT_EQ(
      error_body(e),
      R"({"error":{"message":"`max_tokens` must be positive.","type":"invalid_request_error",)"
      R"("param":"max_tokens","code":"invalid_params","retriable":false}})");
}

TEST(ErrorBody, WritesParamAsNullWhenEmpty) {
  const Error e{ErrorCode::InvalidJson, "The request body is not valid JSON.", "", 0};
  EXPECT_EQ(error_body(e),
            R"({"error":{"message":"The request body is not valid JSON.","type":)"
            R"("invalid_request_error","param":null,"code":"invalid_json","retriable":false}})");
}

TEST(ErrorBody, AddsRetryAfterOnlyWhenPositive) {
  Error e{ErrorCode::QueueFull, "The queue is full.", "", 250};
  EXPECT_EQ(error_body(e),
            R"({"error":{"message":"The queue is full.","type":"rate_limit_error","param":null,)"
            R"("code":"queue_full","retriable":true,"retry_after_ms":250}})");
  e.retry_after_ms = 0;
  EXPECT_EQ(error_body(e),
            R"({"error":{"message":"The queue is full.","type":"rate_limit_error","param":null,)"
            R"("code":"queue_full","retriable":true}})");
}

TEST(ErrorBody, WritesLargestRetryAfter) {
  const Error e{ErrorCode::ShuttingDown, "Draining.", "", 4294967295u};
  EXPECT_NE(error_body(e).find(R"("retry_after_ms":4294967295})"), std::string::npos)
      << error_body(e);
}

TEST(ErrorBody, EscapesMessageAndParam) {
  const Error e{ErrorCode::InvalidParams, "bad \"value\"\nin\\field\x01", "a\"b", 0};
  const std::string body = error_body(e);
  EXPECT_NE(body.find(R"("message":"bad \"value\"\nin\\field\u0001")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("param":"a\"b")"), std::string::npos) << body;

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(simdjson::padded_string(body)).get(doc)) << body;
  std::string_view message;
  ASSERT_FALSE(doc["error"]["message"].get_string().get(message));
  EXPECT_EQ(message, "bad \"value\"\nin\\field\x01");
}

TEST(ErrorBody, ParsesBackWithEveryFieldForEveryServerError) {
  for (ErrorCode c :
       {ErrorCode::UpstreamError, ErrorCode::UpstreamTimeout, ErrorCode::StreamStalled,
        ErrorCode::DeadlineExceeded, ErrorCode::PoolUnavailable, ErrorCode::Internal}) {
    const Error e{c, "Something went wrong.", "", 1000};
    const std::string body = error_body(e);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_FALSE(parser.parse(simdjson::padded_string(body)).get(doc)) << body;
    std::string_view code;
    std::string_view type;
    bool retriable = false;
    std::uint64_t retry_after = 0;
    ASSERT_FALSE(doc["error"]["code"].get_string().get(code)) << body;
    ASSERT_FALSE(doc["error"]["type"].get_string().get(type)) << body;
    ASSERT_FALSE(doc["error"]["retriable"].get_bool().get(retriable)) << body;
    ASSERT_FALSE(doc["error"]["retry_after_ms"].get_uint64().get(retry_after)) << body;
    EXPECT_TRUE(doc["error"]["param"].is_null()) << body;
    EXPECT_EQ(code, error_info(c).code);
    EXPECT_EQ(type, error_info(c).type);
    EXPECT_EQ(retriable, error_info(c).retriable);
    EXPECT_EQ(retry_after, 1000u);
  }
}

TEST(ErrorBody, AppendsToExistingContent) {
  std::string out = "data: ";
  append_error_body(out, Error{ErrorCode::NotFound, "No route.", "", 0});
  EXPECT_EQ(out,
            R"(data: {"error":{"message":"No route.","type":"invalid_request_error","param":null,)"
            R"("code":"not_found","retriable":false}})");
}

}  // namespace
}  // namespace sy::api
