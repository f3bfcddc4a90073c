// make_upstream_request: path and body per engine protocol.

#include "engines/upstream_request.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sy::engines {
namespace {

// What the relay hands the adapters for a validated request (relay::generation_request): the
// body as the client wrote it, minus Switchyard's own members, and the token limit it read.
GenerationRequest chat(std::string_view body, std::optional<std::uint32_t> max_tokens = {}) {
  return GenerationRequest{true, false, max_tokens, body};
}
GenerationRequest text(std::string_view body, std::optional<std::uint32_t> max_tokens = {},
                       bool stream = false) {
  return GenerationRequest{false, stream, max_tokens, body};
}

// Parses the upstream body; keeps the parser (and so the document) alive with the test.
struct ParsedBody {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
};

void parse_body(const std::string& body, ParsedBody& out) {
  ASSERT_FALSE(out.parser.parse(simdjson::padded_string(body)).get(out.root)) << body;
}

TEST(UpstreamRequest, PassesOpenAIChatBodyThroughToChatPath) {
  const auto req =
      chat(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.2})");
  const auto up = make_upstream_request(Protocol::OpenAI, req, "");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  EXPECT_EQ(up->path, "/v1/chat/completions");
  EXPECT_EQ(up->body, req.body);
}

TEST(UpstreamRequest, PassesOpenAITextBodyThroughToCompletionsPath) {
  const auto req = text(R"({"model":"m","prompt":"hi","max_tokens":3})", 3);
  const auto up = make_upstream_request(Protocol::OpenAI, req, "");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  EXPECT_EQ(up->path, "/v1/completions");
  EXPECT_EQ(up->body, R"({"model":"m","prompt":"hi","max_tokens":3})");
}

TEST(UpstreamRequest, PrefixesBasePath) {
  const auto c = chat(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  const auto t = text(R"({"model":"m","prompt":"hi"})");
  auto up = make_upstream_request(Protocol::OpenAI, c, "/engines/a");
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->path, "/engines/a/v1/chat/completions");
  up = make_upstream_request(Protocol::OpenAI, t, "/engines/a");
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->path, "/engines/a/v1/completions");
  up = make_upstream_request(Protocol::LlamaCpp, t, "/llama");
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->path, "/llama/completion");
  up = make_upstream_request(Protocol::LlamaCpp, c, "/llama");
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->path, "/llama/v1/chat/completions");
}

// The api layer removes Switchyard's own `priority` before the body reaches the adapters
// (tests/unit/api/completion_request_test.cpp); what they are given goes out byte for byte,
// spacing included, and the body they were given stays untouched.
TEST(UpstreamRequest, SendsTheBodyItIsGivenByteForByte) {
  const std::string body = R"({ "model" : "m","messages":[{"role":"user","content":"h\u0069"}]} )";
  for (const Protocol p : {Protocol::OpenAI, Protocol::LlamaCpp}) {
    const auto up = make_upstream_request(p, chat(body), "");
    ASSERT_TRUE(up.has_value());
    EXPECT_EQ(up->body, body) << to_string(p);
  }
  const auto up = make_upstream_request(Protocol::OpenAI, text(body), "");
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->body, body);
}

TEST(UpstreamRequest, SendsLlamaCppChatToOpenAIChatPathUnchanged) {
  const auto req =
      chat(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":4})", 4);
  const auto up = make_upstream_request(Protocol::LlamaCpp, req, "");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  EXPECT_EQ(up->path, "/v1/chat/completions");
  EXPECT_EQ(up->body, req.body);
}

TEST(UpstreamRequest, BuildsLlamaCppCompletionBody) {
  const auto req = text(R"({"model":"m","prompt":"hi","max_tokens":8,"stream":true})", 8, true);
  const auto up = make_upstream_request(Protocol::LlamaCpp, req, "");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  EXPECT_EQ(up->path, "/completion");
  EXPECT_EQ(up->body, R"({"prompt":"hi","n_predict":8,"stream":true,"cache_prompt":true})");
}

TEST(UpstreamRequest, CopiesSharedSamplingFieldsForLlamaCpp) {
  const auto req =
      text(R"({"model":"m","prompt":"caf\u00e9 \"q\"","temperature":0.5,"top_p":0.9,"seed":42,)"
           R"("top_k":40,"n":3,"logprobs":2,"echo":false,"user":"u","max_tokens":16})",
           16);
  const auto up = make_upstream_request(Protocol::LlamaCpp, req, "");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  ParsedBody b;
  parse_body(up->body, b);
  std::string_view prompt;
  ASSERT_FALSE(b.root["prompt"].get_string().get(prompt));
  EXPECT_EQ(prompt, "caf\xC3\xA9 \"q\"");
  double d = 0;
  ASSERT_FALSE(b.root["temperature"].get_double().get(d));
  EXPECT_DOUBLE_EQ(d, 0.5);
  ASSERT_FALSE(b.root["top_p"].get_double().get(d));
  EXPECT_DOUBLE_EQ(d, 0.9);
  std::int64_t n = 0;
  ASSERT_FALSE(b.root["seed"].get_int64().get(n));
  EXPECT_EQ(n, 42);
  ASSERT_FALSE(b.root["top_k"].get_int64().get(n));
  EXPECT_EQ(n, 40);
  ASSERT_FALSE(b.root["n_predict"].get_int64().get(n));
  EXPECT_EQ(n, 16);
  bool flag = true;
  ASSERT_FALSE(b.root["stream"].get_bool().get(flag));
  EXPECT_FALSE(flag);
  ASSERT_FALSE(b.root["cache_prompt"].get_bool().get(flag));
  EXPECT_TRUE(flag);
  // What Switchyard translates or answers itself does not reach the engine...
  for (const char* absent : {"model", "max_tokens"}) {
    EXPECT_EQ(b.root[absent].error(), simdjson::NO_SUCH_FIELD) << absent;
  }
  // ...every other member passes through untouched (llama.cpp ignores what it does not know).
  ASSERT_FALSE(b.root["n"].get_int64().get(n));
  EXPECT_EQ(n, 3);
  ASSERT_FALSE(b.root["logprobs"].get_int64().get(n));
  EXPECT_EQ(n, 2);
  std::string_view user;
  ASSERT_FALSE(b.root["user"].get_string().get(user));
  EXPECT_EQ(user, "u");
}

TEST(UpstreamRequest, PassesUnknownFieldsAndTheClientsOwnNPredictToLlamaCpp) {
  const auto req =
      text(R"({"model":"m","prompt":"hi","n_predict":5,"cache_prompt":false,"samplers":["top_k"],)"
           R"("stream_options":{"include_usage":true},"x_custom":{"a":[1,null]}})");
  const auto up = make_upstream_request(Protocol::LlamaCpp, req, "");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  EXPECT_NE(up->body.find(R"("samplers":["top_k"])"), std::string::npos) << up->body;
  EXPECT_NE(up->body.find(R"("x_custom":{"a":[1,null]})"), std::string::npos) << up->body;
  EXPECT_NE(up->body.find(R"("n_predict":5)"), std::string::npos) << up->body;
  EXPECT_NE(up->body.find(R"("cache_prompt":false)"), std::string::npos) << up->body;
  EXPECT_EQ(up->body.find("n_predict", up->body.find("n_predict") + 1), std::string::npos)
      << "n_predict written twice: " << up->body;
  EXPECT_EQ(up->body.find("stream_options"), std::string::npos) << up->body;
}

TEST(UpstreamRequest, SendsNPredictMinusOneWithoutMaxTokens) {
  const auto req = text(R"({"model":"m","prompt":"hi"})");
  const auto up = make_upstream_request(Protocol::LlamaCpp, req, "");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  ParsedBody b;
  parse_body(up->body, b);
  std::int64_t n = 0;
  ASSERT_FALSE(b.root["n_predict"].get_int64().get(n)) << up->body;
  EXPECT_EQ(n, -1) << up->body;
}

TEST(UpstreamRequest, UsesMaxCompletionTokensForNPredict) {
  // The api reads max_completion_tokens into max_tokens; the member itself stays behind.
  const auto req = text(R"({"model":"m","prompt":"hi","max_completion_tokens":7})", 7);
  const auto up = make_upstream_request(Protocol::LlamaCpp, req, "");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  ParsedBody b;
  parse_body(up->body, b);
  std::int64_t n = 0;
  ASSERT_FALSE(b.root["n_predict"].get_int64().get(n)) << up->body;
  EXPECT_EQ(n, 7);
  EXPECT_EQ(b.root["max_completion_tokens"].error(), simdjson::NO_SUCH_FIELD) << up->body;
}

TEST(UpstreamRequest, WrapsStopStringInArrayForLlamaCpp) {
  const auto req = text(R"({"model":"m","prompt":"hi","stop":"\n\n"})");
  const auto up = make_upstream_request(Protocol::LlamaCpp, req, "");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  ParsedBody b;
  parse_body(up->body, b);
  simdjson::dom::array stop;
  ASSERT_FALSE(b.root["stop"].get_array().get(stop)) << up->body;
  ASSERT_EQ(stop.size(), 1u);
  std::string_view s;
  ASSERT_FALSE(stop.at(0).get_string().get(s));
  EXPECT_EQ(s, "\n\n");
}

TEST(UpstreamRequest, CopiesStopArrayForLlamaCpp) {
  const auto req = text(R"({"model":"m","prompt":"hi","stop":["a","b"]})");
  const auto up = make_upstream_request(Protocol::LlamaCpp, req, "");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  EXPECT_NE(up->body.find(R"("stop":["a","b"])"), std::string::npos) << up->body;
}

TEST(UpstreamRequest, DropsNullStopForLlamaCpp) {
  const auto req = text(R"({"model":"m","prompt":"hi","stop":null})");
  const auto up = make_upstream_request(Protocol::LlamaCpp, req, "");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  EXPECT_EQ(up->body.find("stop"), std::string::npos) << up->body;
}

TEST(UpstreamRequest, CopiesPromptArrayForLlamaCppAsWritten) {
  const auto req = text(R"({"model":"m","prompt":[1, 2, 3]})");
  const auto up = make_upstream_request(Protocol::LlamaCpp, req, "");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  EXPECT_NE(up->body.find(R"("prompt":[1, 2, 3])"), std::string::npos) << up->body;
}

TEST(UpstreamRequest, PassesBigNumbersToLlamaCppByteForByte) {
  const auto req =
      text(R"({"model":"m","prompt":"p","seed":18446744073709551616,"temperature":1e309})");
  const auto up = make_upstream_request(Protocol::LlamaCpp, req, "");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  EXPECT_NE(up->body.find(R"("seed":18446744073709551616)"), std::string::npos) << up->body;
  EXPECT_NE(up->body.find(R"("temperature":1e309)"), std::string::npos) << up->body;
}

TEST(UpstreamRequest, FailsForLlamaCppWhenBodyIsNotJson) {
  const auto up = make_upstream_request(Protocol::LlamaCpp, text("{not json"), "");
  ASSERT_FALSE(up.has_value());
  EXPECT_EQ(up.error().code, ErrorCode::InvalidJson);
}

TEST(Protocol, HasStableNames) {
  EXPECT_EQ(to_string(Protocol::OpenAI), "openai");
  EXPECT_EQ(to_string(Protocol::LlamaCpp), "llamacpp");
}

}  // namespace
}  // namespace sy::engines
