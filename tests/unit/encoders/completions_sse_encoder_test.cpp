// CompletionsSseEncoder: llama.cpp's native events → OpenAI's text_completion stream.

#include "encoders/completions_sse_encoder.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "client_bytes.hpp"
#include "engines/llamacpp_adapter.hpp"

namespace sy::encoders {
namespace {

using testing::Json;
using testing::parse_json;
using testing::parse_sse;
using testing::str;
using testing::uint;

constexpr std::int64_t kCreated = 1700000000;

ChunkIdentity identity(bool include_usage = false) {
  return ChunkIdentity{"cmpl-cid-1", "llama-3", kCreated, include_usage};
}

engines::EngineEvent llama(std::string_view data) {
  return engines::decode_llamacpp_event(sse::Event{{}, data, {}});
}

// The bytes of one chunk, as OpenAI (and the translator this encoder replaced) writes them.
std::string chunk(std::string_view text_token, std::string_view finish_reason) {
  return R"(data: {"id":"cmpl-cid-1","object":"text_completion","created":1700000000,)"
         R"("model":"llama-3","choices":[{"text":)" +
         std::string(text_token) + R"(,"index":0,"logprobs":null,"finish_reason":)" +
         std::string(finish_reason) + "}]}\n\n";
}

TEST(CompletionsSseEncoder, TurnsATokenIntoATextCompletionChunk) {
  CompletionsSseEncoder enc(identity());
  std::string out;
  enc.encode(llama(R"({"content":"Hel","stop":false})"), out);
  EXPECT_EQ(out, chunk(R"("Hel")", "null"));
  const auto events = parse_sse(out);
  ASSERT_EQ(events.size(), 1u) << out;
  EXPECT_EQ(events[0].event, "");
  Json j;
  parse_json(events[0].data, j);
  EXPECT_EQ(str(j.root["id"]), "cmpl-cid-1");
  EXPECT_EQ(str(j.root["object"]), "text_completion");
  EXPECT_EQ(str(j.root["model"]), "llama-3");
  std::int64_t created = 0;
  ASSERT_FALSE(j.root["created"].get_int64().get(created));
  EXPECT_EQ(created, kCreated);
  simdjson::dom::array choices;
  ASSERT_FALSE(j.root["choices"].get_array().get(choices));
  ASSERT_EQ(choices.size(), 1u);
  EXPECT_EQ(str(choices.at(0)["text"]), "Hel");
  EXPECT_EQ(uint(choices.at(0)["index"]), 0u);
  EXPECT_TRUE(choices.at(0)["finish_reason"].is_null());
  EXPECT_TRUE(choices.at(0)["logprobs"].is_null());
  EXPECT_EQ(j.root["usage"].error(), simdjson::NO_SUCH_FIELD);
}

TEST(CompletionsSseEncoder, AppendsWithoutClearingOutput) {
  CompletionsSseEncoder enc(identity());
  std::string out = "data: a\n\n";
  enc.encode(llama(R"({"content":"b","stop":false})"), out);
  EXPECT_EQ(out, "data: a\n\n" + chunk(R"("b")", "null"));
}

TEST(CompletionsSseEncoder, WritesIdentityFieldsEscaped) {
  CompletionsSseEncoder enc(ChunkIdentity{"cmpl-\"x\"", "m\n\\1", -5, false});
  std::string out;
  enc.encode(llama(R"({"content":"t"})"), out);
  const auto events = parse_sse(out);
  ASSERT_EQ(events.size(), 1u) << out;
  Json j;
  parse_json(events[0].data, j);
  EXPECT_EQ(str(j.root["id"]), "cmpl-\"x\"");
  EXPECT_EQ(str(j.root["model"]), "m\n\\1");
  std::int64_t created = 0;
  ASSERT_FALSE(j.root["created"].get_int64().get(created));
  EXPECT_EQ(created, -5);
}

TEST(CompletionsSseEncoder, CopiesEscapedTokenTextIntoOneDataLine) {
  CompletionsSseEncoder enc(identity());
  std::string out;
  enc.encode(llama(R"({"content":"a\"b\nc\\d\u00e9","stop":false})"), out);
  // The token is copied as the engine escaped it, so the SSE event is a single data line.
  EXPECT_EQ(out, chunk(R"("a\"b\nc\\d\u00e9")", "null"));
  EXPECT_EQ(out.find('\n'), out.size() - 2) << out;
  const auto events = parse_sse(out);
  ASSERT_EQ(events.size(), 1u);
  Json j;
  parse_json(events[0].data, j);
  EXPECT_EQ(str(j.root["choices"].at(0)["text"]), "a\"b\nc\\d\xC3\xA9");
}

TEST(CompletionsSseEncoder, SkipsAnEmptyNonFinalEvent) {
  CompletionsSseEncoder enc(identity());
  std::string out;
  enc.encode(llama(R"({"content":"","stop":false})"), out);
  enc.encode(llama(R"({"stop":false,"timings":{}})"), out);
  EXPECT_EQ(out, "");
}

TEST(CompletionsSseEncoder, FinishesWithLengthWhenTheLimitIsReached) {
  CompletionsSseEncoder enc(identity());
  std::string out;
  enc.encode(llama(R"({"content":"","stop":true,"stop_type":"limit",)"
                   R"("tokens_predicted":3,"tokens_evaluated":5})"),
             out);
  EXPECT_EQ(out, chunk(R"("")", R"("length")") + "data: [DONE]\n\n");
  const auto events = parse_sse(out);
  ASSERT_EQ(events.size(), 2u) << out;
  Json j;
  parse_json(events[0].data, j);
  EXPECT_EQ(str(j.root["object"]), "text_completion");
  EXPECT_EQ(str(j.root["choices"].at(0)["text"]), "");
  EXPECT_EQ(str(j.root["choices"].at(0)["finish_reason"]), "length");
  EXPECT_EQ(j.root["usage"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(events[1].data, "[DONE]");
}

TEST(CompletionsSseEncoder, FinishesWithStopOnEosOrStopWord) {
  for (const char* stop_type : {"eos", "word"}) {
    CompletionsSseEncoder enc(identity());
    std::string out;
    enc.encode(llama(std::string(R"({"content":"","stop":true,"stop_type":")") + stop_type +
                     R"(","tokens_predicted":1,"tokens_evaluated":2})"),
               out);
    EXPECT_EQ(out, chunk(R"("")", R"("stop")") + "data: [DONE]\n\n") << stop_type;
    const auto events = parse_sse(out);
    ASSERT_EQ(events.size(), 2u) << out;
    Json j;
    parse_json(events[0].data, j);
    EXPECT_EQ(str(j.root["choices"].at(0)["finish_reason"]), "stop") << stop_type;
  }
}

TEST(CompletionsSseEncoder, AnEndWithoutFinishReasonFinishesWithStop) {
  CompletionsSseEncoder enc(identity());
  engines::EngineEvent end;
  end.end = true;
  std::string out;
  enc.encode(end, out);
  EXPECT_EQ(out, chunk(R"("")", R"("stop")") + "data: [DONE]\n\n");
}

TEST(CompletionsSseEncoder, EmitsAUsageChunkWhenRequested) {
  CompletionsSseEncoder enc(identity(/*include_usage=*/true));
  std::string out;
  enc.encode(llama(R"({"content":"","stop":true,"stop_type":"limit",)"
                   R"("tokens_predicted":3,"tokens_evaluated":5})"),
             out);
  EXPECT_EQ(out, chunk(R"("")", R"("length")") +
                     R"(data: {"id":"cmpl-cid-1","object":"text_completion","created":1700000000,)"
                     R"("model":"llama-3","choices":[],"usage":{"prompt_tokens":5,)"
                     R"("completion_tokens":3,"total_tokens":8}})"
                     "\n\ndata: [DONE]\n\n");
  const auto events = parse_sse(out);
  ASSERT_EQ(events.size(), 3u) << out;
  Json finish;
  parse_json(events[0].data, finish);
  EXPECT_EQ(str(finish.root["choices"].at(0)["finish_reason"]), "length");
  Json usage;
  parse_json(events[1].data, usage);
  EXPECT_EQ(str(usage.root["id"]), "cmpl-cid-1");
  EXPECT_EQ(str(usage.root["object"]), "text_completion");
  simdjson::dom::array choices;
  ASSERT_FALSE(usage.root["choices"].get_array().get(choices));
  EXPECT_EQ(choices.size(), 0u);
  EXPECT_EQ(uint(usage.root["usage"]["prompt_tokens"]), 5u);
  EXPECT_EQ(uint(usage.root["usage"]["completion_tokens"]), 3u);
  EXPECT_EQ(uint(usage.root["usage"]["total_tokens"]), 8u);
  EXPECT_EQ(events[2].data, "[DONE]");
}

TEST(CompletionsSseEncoder, NoUsageChunkUnlessRequested) {
  CompletionsSseEncoder enc(identity(/*include_usage=*/false));
  std::string out;
  enc.encode(llama(R"({"stop":true,"tokens_predicted":3,"tokens_evaluated":5})"), out);
  EXPECT_EQ(out.find("usage"), std::string::npos) << out;
}

TEST(CompletionsSseEncoder, EmitsFinalContentBeforeTheFinishChunk) {
  CompletionsSseEncoder enc(identity());
  std::string out;
  enc.encode(llama(R"({"content":"!","stop":true,"stop_type":"eos",)"
                   R"("tokens_predicted":1,"tokens_evaluated":1})"),
             out);
  EXPECT_EQ(out, chunk(R"("!")", "null") + chunk(R"("")", R"("stop")") + "data: [DONE]\n\n");
  const auto events = parse_sse(out);
  ASSERT_EQ(events.size(), 3u) << out;
  Json content;
  parse_json(events[0].data, content);
  EXPECT_EQ(str(content.root["choices"].at(0)["text"]), "!");
  EXPECT_TRUE(content.root["choices"].at(0)["finish_reason"].is_null());
  Json finish;
  parse_json(events[1].data, finish);
  EXPECT_EQ(str(finish.root["choices"].at(0)["text"]), "");
  EXPECT_EQ(str(finish.root["choices"].at(0)["finish_reason"]), "stop");
  EXPECT_EQ(events[2].data, "[DONE]");
}

TEST(CompletionsSseEncoder, ReportsAnUnreadableEventAsAnUpstreamError) {
  for (std::string_view data : {std::string_view("not json"), std::string_view(R"({"content":"x")"),
                                std::string_view(""), std::string_view("[1]")}) {
    CompletionsSseEncoder enc(identity());
    const engines::EngineEvent ev = llama(data);
    ASSERT_EQ(ev.status, engines::EventStatus::Malformed) << data;
    std::string out;
    enc.encode(ev, out);
    EXPECT_EQ(out,
              R"(data: {"error":{"message":"The engine sent a chunk that is not valid JSON.",)"
              R"("type":"server_error","param":null,"code":"upstream_error","retriable":true}})"
              "\n\n")
        << data;
    const auto events = parse_sse(out);
    ASSERT_EQ(events.size(), 1u) << out;  // no [DONE]: the relay ends the stream
    Json j;
    parse_json(events[0].data, j);
    EXPECT_EQ(str(j.root["error"]["code"]), "upstream_error");
    EXPECT_EQ(str(j.root["error"]["type"]), "server_error");
    EXPECT_FALSE(str(j.root["error"]["message"]).empty());
    EXPECT_TRUE(j.root["error"]["param"].is_null());
    bool retriable = false;
    ASSERT_FALSE(j.root["error"]["retriable"].get_bool().get(retriable));
    EXPECT_TRUE(retriable);
    // The engine's bytes do not leak into the client's stream.
    if (!data.empty()) {
      EXPECT_EQ(out.find(data), std::string::npos) << data;
    }
  }
}

TEST(CompletionsSseEncoder, ForwardsTheEnginesErrorObject) {
  CompletionsSseEncoder enc(identity());
  const std::string data =
      R"({"error":{"code":500,"message":"context full","type":"server_error"}})";
  std::string out;
  enc.encode(llama(data), out);
  EXPECT_EQ(out, "data: " + data + "\n\n");
}

}  // namespace
}  // namespace sy::encoders
