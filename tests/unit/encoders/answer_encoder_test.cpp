// encode_answer: an engine's whole answer → the body the client receives.

#include "encoders/answer_encoder.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <string_view>

#include "client_bytes.hpp"
#include "engines/engine_protocol.hpp"

namespace sy::encoders {
namespace {

using engines::WireShape;
using testing::Json;
using testing::parse_json;
using testing::str;
using testing::uint;

const ChunkIdentity kIdentity{"cmpl-cid-1", "llama-3", 1700000000, false};

Result<std::string> encode(WireShape client, WireShape engine, std::string_view body) {
  return encode_answer(client, engine, engines::decode_answer(engine, body), kIdentity);
}

TEST(EncodeAnswer, PassesTheEnginesBodyThroughWhenShapesMatch) {
  const std::string body =
      "{\n  \"id\": \"x\",\n  \"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": "
      "\"hi\"}}],\n  \"usage\": {\"prompt_tokens\": 11, \"completion_tokens\": 22, "
      "\"total_tokens\": 33}\n}";
  for (const WireShape shape : {WireShape::OpenAIChat, WireShape::OpenAICompletions}) {
    const auto r = encode(shape, shape, body);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, body);
  }
  // Byte for byte whatever it is: the OpenAI adapter does not judge the body.
  const auto r = encode(WireShape::OpenAIChat, WireShape::OpenAIChat, "<html>oops</html>");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "<html>oops</html>");
}

TEST(EncodeAnswer, TurnsALlamaCppAnswerIntoATextCompletion) {
  const auto r =
      encode(WireShape::OpenAICompletions, WireShape::LlamaCppCompletion,
             R"({"content":"Hello world","stop":true,"stop_type":"eos","tokens_predicted":2,)"
             R"("tokens_evaluated":4,"generation_settings":{"n_ctx":4096}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, R"({"id":"cmpl-cid-1","object":"text_completion","created":1700000000,)"
                R"("model":"llama-3","choices":[{"text":"Hello world","index":0,"logprobs":null,)"
                R"("finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":2,)"
                R"("total_tokens":6}})");
  Json j;
  parse_json(*r, j);
  EXPECT_EQ(str(j.root["id"]), "cmpl-cid-1");
  EXPECT_EQ(str(j.root["object"]), "text_completion");
  EXPECT_EQ(str(j.root["model"]), "llama-3");
  simdjson::dom::array choices;
  ASSERT_FALSE(j.root["choices"].get_array().get(choices));
  ASSERT_EQ(choices.size(), 1u);
  EXPECT_EQ(str(choices.at(0)["text"]), "Hello world");
  EXPECT_EQ(str(choices.at(0)["finish_reason"]), "stop");
  EXPECT_TRUE(choices.at(0)["logprobs"].is_null());
  EXPECT_EQ(uint(j.root["usage"]["prompt_tokens"]), 4u);
  EXPECT_EQ(uint(j.root["usage"]["completion_tokens"]), 2u);
  EXPECT_EQ(uint(j.root["usage"]["total_tokens"]), 6u);
}

TEST(EncodeAnswer, LimitStopIsLength) {
  const auto r = encode(
      WireShape::OpenAICompletions, WireShape::LlamaCppCompletion,
      R"({"content":"x","stop":true,"stop_type":"limit","tokens_predicted":1,"tokens_evaluated":1})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  Json j;
  parse_json(*r, j);
  EXPECT_EQ(str(j.root["choices"].at(0)["finish_reason"]), "length");
}

TEST(EncodeAnswer, KeepsEscapedTextValidAndWritesMissingTextAsEmpty) {
  auto r = encode(WireShape::OpenAICompletions, WireShape::LlamaCppCompletion,
                  R"({"content":"a\"b\n\u00e9","stop":true})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  Json j;
  parse_json(*r, j);
  EXPECT_EQ(str(j.root["choices"].at(0)["text"]), "a\"b\n\xC3\xA9");
  r = encode(WireShape::OpenAICompletions, WireShape::LlamaCppCompletion, R"({"stop":true})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  Json empty;
  parse_json(*r, empty);
  EXPECT_EQ(str(empty.root["choices"].at(0)["text"]), "");
  EXPECT_EQ(uint(empty.root["usage"]["total_tokens"]), 0u);
}

TEST(EncodeAnswer, FailsOnAnUnreadableLlamaCppAnswer) {
  for (std::string_view body : {std::string_view("<html>502 Bad Gateway</html>"),
                                std::string_view(""), std::string_view("[1]")}) {
    const auto r = encode(WireShape::OpenAICompletions, WireShape::LlamaCppCompletion, body);
    ASSERT_FALSE(r.has_value()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::UpstreamError);
    EXPECT_FALSE(r.error().message.empty());
  }
}

}  // namespace
}  // namespace sy::encoders
