// parse_completion_request: validation, error codes and params, prompt-size estimate, and the
// upstream body (the client's bytes minus our string `priority` member).

#include "api/completion_request.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <string_view>

namespace sy::api {
namespace {

constexpr std::string_view kMessages = R"([{"role":"user","content":"hi"}])";

std::string chat_body(std::string_view extra_members = {}) {
  std::string body = R"({"model":"m","messages":)";
  body += kMessages;
  if (!extra_members.empty()) {
    body += ',';
    body += extra_members;
  }
  body += '}';
  return body;
}

Result<CompletionRequest> parse_chat(std::string body) {
  return parse_completion_request(CompletionKind::Chat, std::move(body));
}
Result<CompletionRequest> parse_text(std::string body) {
  return parse_completion_request(CompletionKind::Text, std::move(body));
}

bool is_valid_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  return !parser.parse(simdjson::padded_string(json)).get(doc);
}

// Asserts `r` failed with `code` and `param`.
void expect_error(const Result<CompletionRequest>& r, ErrorCode code, std::string_view param,
                  std::string_view what) {
  ASSERT_FALSE(r.has_value()) << what;
  EXPECT_EQ(r.error().code, code) << what << ": " << r.error().message;
  EXPECT_EQ(r.error().param, param) << what;
  EXPECT_FALSE(r.error().message.empty()) << what;
}

void expect_invalid_json(std::string body) {
  const std::string copy = body;
  const auto r = parse_chat(std::move(body));
  ASSERT_FALSE(r.has_value()) << copy;
  EXPECT_EQ(r.error().code, ErrorCode::InvalidJson) << copy << ": " << r.error().message;
  EXPECT_EQ(r.error().info().http_status, 400);
  EXPECT_EQ(r.error().info().code, "invalid_json");
}

// --- valid requests ---------------------------------------------------------------------------

TEST(ParseCompletionRequest, AcceptsMinimalChatRequest) {
  const std::string body = chat_body();
  const auto r = parse_chat(body);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->kind, CompletionKind::Chat);
  EXPECT_EQ(r->model, "m");
  EXPECT_FALSE(r->stream);
  EXPECT_FALSE(r->include_usage);
  EXPECT_FALSE(r->max_tokens.has_value());
  EXPECT_FALSE(r->priority.has_value());
  EXPECT_EQ(r->upstream_body, body);
}

TEST(ParseCompletionRequest, ReadsAllInterpretedChatFields) {
  const auto r = parse_chat(
      R"({"model":"llama-3-8b","stream":true,"stream_options":{"include_usage":true},)"
      R"("max_tokens":128,"priority":"interactive","messages":[{"role":"system","content":"be brief"},)"
      R"({"role":"user","content":"hello"}]})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->model, "llama-3-8b");
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->include_usage);
  ASSERT_TRUE(r->max_tokens.has_value());
  EXPECT_EQ(*r->max_tokens, 128u);
  ASSERT_TRUE(r->priority.has_value());
  EXPECT_EQ(*r->priority, "interactive");
}

TEST(ParseCompletionRequest, AcceptsMinimalTextRequest) {
  const std::string body = R"({"model":"m","prompt":"Once upon a time"})";
  const auto r = parse_text(body);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->kind, CompletionKind::Text);
  EXPECT_EQ(r->model, "m");
  EXPECT_EQ(r->upstream_body, body);
}

TEST(ParseCompletionRequest, UnescapesModelName) {
  const auto r =
      parse_chat(R"({"model":"caf\u00e9\/v1","messages":[{"role":"user","content":"x"}]})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->model, "caf\xC3\xA9/v1");
}

TEST(ParseCompletionRequest, AcceptsStreamFalseAndNull) {
  auto r = parse_chat(chat_body(R"("stream":false)"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->stream);
  r = parse_chat(chat_body(R"("stream":null)"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->stream);
}

TEST(ParseCompletionRequest, AcceptsWhitespaceAroundEverything) {
  const std::string body =
      " \n{ \"model\" : \"m\" ,\n\t\"messages\" : [ { \"role\" : \"user\" , \"content\" : \"hi\" } "
      "] "
      ",\"stream\" :\ttrue }\n";
  const auto r = parse_chat(body);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->stream);
  EXPECT_EQ(r->upstream_body, body);
}

// --- missing fields ---------------------------------------------------------------------------

TEST(ParseCompletionRequest, RejectsMissingModel) {
  expect_error(parse_chat(R"({"messages":[{"role":"user","content":"hi"}]})"),
               ErrorCode::InvalidParams, "model", "chat");
  expect_error(parse_text(R"({"prompt":"hi"})"), ErrorCode::InvalidParams, "model", "text");
}

TEST(ParseCompletionRequest, RejectsEmptyOrNonStringModel) {
  expect_error(parse_chat(R"({"model":"","messages":[{"role":"user","content":"hi"}]})"),
               ErrorCode::InvalidParams, "model", "empty");
  expect_error(parse_chat(R"({"model":7,"messages":[{"role":"user","content":"hi"}]})"),
               ErrorCode::InvalidParams, "model", "number");
  expect_error(parse_chat(R"({"model":null,"messages":[{"role":"user","content":"hi"}]})"),
               ErrorCode::InvalidParams, "model", "null");
}

TEST(ParseCompletionRequest, RejectsChatWithoutMessages) {
  expect_error(parse_chat(R"({"model":"m"})"), ErrorCode::InvalidParams, "messages", "absent");
  // A text-style prompt does not satisfy a chat request.
  expect_error(parse_chat(R"({"model":"m","prompt":"hi"})"), ErrorCode::InvalidParams, "messages",
               "prompt instead");
}

TEST(ParseCompletionRequest, RejectsTextWithoutPrompt) {
  expect_error(parse_text(R"({"model":"m"})"), ErrorCode::InvalidParams, "prompt", "absent");
  expect_error(parse_text(chat_body()), ErrorCode::InvalidParams, "prompt", "messages instead");
}

// --- wrong types ------------------------------------------------------------------------------

TEST(ParseCompletionRequest, RejectsNonBooleanStream) {
  for (std::string_view v : {R"("true")", "1", "0", "{}", "[]"}) {
    expect_error(parse_chat(chat_body(std::string(R"("stream":)") + std::string(v))),
                 ErrorCode::InvalidParams, "stream", v);
  }
}

TEST(ParseCompletionRequest, RejectsMaxTokensOutOfRangeOrNotInteger) {
  for (std::string_view v : {"0", "-1", "-100", "1.5", "10.0", "1e3", "10000001", "4294967296",
                             "18446744073709551615", R"("10")", "true", "[10]"}) {
    expect_error(parse_chat(chat_body(std::string(R"("max_tokens":)") + std::string(v))),
                 ErrorCode::InvalidParams, "max_tokens", v);
  }
}

TEST(ParseCompletionRequest, RejectsMaxTokensBeyondSixtyFourBitsWith400) {
  // simdjson's validator refuses integers that do not fit 64 bits, so these come back as
  // invalid_json rather than invalid_params; either way the client gets a 400.
  for (std::string_view v : {"18446744073709551616", "99999999999999999999999"}) {
    const auto r = parse_chat(chat_body(std::string(R"("max_tokens":)") + std::string(v)));
    ASSERT_FALSE(r.has_value()) << v;
    EXPECT_EQ(r.error().info().http_status, 400) << v;
  }
}

TEST(ParseCompletionRequest, AcceptsMaxTokensAtItsBounds) {
  auto r = parse_chat(chat_body(R"("max_tokens":1)"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->max_tokens, 1u);
  r = parse_chat(chat_body(R"("max_tokens":10000000)"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->max_tokens, 10000000u);
}

TEST(ParseCompletionRequest, TreatsNullMaxTokensAsAbsent) {
  const auto r = parse_chat(chat_body(R"("max_tokens":null)"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->max_tokens.has_value());
}

TEST(ParseCompletionRequest, ReadsMaxCompletionTokens) {
  auto r = parse_chat(chat_body(R"("max_completion_tokens":42)"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->max_tokens, 42u);
}

TEST(ParseCompletionRequest, NamesMaxCompletionTokensInItsError) {
  expect_error(parse_chat(chat_body(R"("max_completion_tokens":0)")), ErrorCode::InvalidParams,
               "max_completion_tokens", "zero");
  expect_error(parse_chat(chat_body(R"("max_completion_tokens":-3)")), ErrorCode::InvalidParams,
               "max_completion_tokens", "negative");
}

TEST(ParseCompletionRequest, RejectsMessagesThatAreNotAnArray) {
  for (std::string_view v : {R"("hi")", "{}", R"({"role":"user","content":"hi"})", "null", "3"}) {
    expect_error(parse_chat(std::string(R"({"model":"m","messages":)") + std::string(v) + "}"),
                 ErrorCode::InvalidParams, "messages", v);
  }
}

TEST(ParseCompletionRequest, RejectsEmptyMessages) {
  expect_error(parse_chat(R"({"model":"m","messages":[]})"), ErrorCode::InvalidParams, "messages",
               "empty");
}

TEST(ParseCompletionRequest, RejectsMessageThatIsNotAnObject) {
  expect_error(parse_chat(R"({"model":"m","messages":["hi"]})"), ErrorCode::InvalidParams,
               "messages", "string entry");
  expect_error(parse_chat(R"({"model":"m","messages":[{"role":"user","content":"a"},7]})"),
               ErrorCode::InvalidParams, "messages", "number after a good entry");
}

TEST(ParseCompletionRequest, RejectsMessageWithoutStringRole) {
  expect_error(parse_chat(R"({"model":"m","messages":[{"content":"hi"}]})"),
               ErrorCode::InvalidParams, "messages", "no role");
  expect_error(
      parse_chat(R"({"model":"m","messages":[{"role":"user","content":"a"},{"content":"b"}]})"),
      ErrorCode::InvalidParams, "messages", "second lacks role");
  expect_error(parse_chat(R"({"model":"m","messages":[{"role":1,"content":"hi"}]})"),
               ErrorCode::InvalidParams, "messages", "numeric role");
  expect_error(parse_chat(R"({"model":"m","messages":[{"role":"","content":"hi"}]})"),
               ErrorCode::InvalidParams, "messages", "empty role");
  expect_error(parse_chat(R"({"model":"m","messages":[{"role":null,"content":"hi"}]})"),
               ErrorCode::InvalidParams, "messages", "null role");
}

TEST(ParseCompletionRequest, RejectsPromptOfWrongType) {
  for (std::string_view v : {"null", "5", "true", R"({"text":"hi"})"}) {
    expect_error(parse_text(std::string(R"({"model":"m","prompt":)") + std::string(v) + "}"),
                 ErrorCode::InvalidParams, "prompt", v);
  }
}

TEST(ParseCompletionRequest, RejectsStreamOptionsOfWrongType) {
  expect_error(parse_chat(chat_body(R"("stream_options":true)")), ErrorCode::InvalidParams,
               "stream_options", "bool");
  expect_error(parse_chat(chat_body(R"("stream_options":[])")), ErrorCode::InvalidParams,
               "stream_options", "array");
  expect_error(parse_chat(chat_body(R"("stream_options":{"include_usage":"yes"})")),
               ErrorCode::InvalidParams, "stream_options.include_usage", "string include_usage");
}

TEST(ParseCompletionRequest, ReadsIncludeUsage) {
  auto r = parse_chat(chat_body(R"("stream":true,"stream_options":{"include_usage":true})"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->include_usage);
  r = parse_chat(chat_body(R"("stream_options":{"other":[1,{"x":2}],"include_usage":false})"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->include_usage);
  r = parse_chat(chat_body(R"("stream_options":{"continuous_usage_stats":true})"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->include_usage);
  r = parse_chat(chat_body(R"("stream_options":null)"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->include_usage);
}

// --- invalid JSON -----------------------------------------------------------------------------

TEST(ParseCompletionRequest, RejectsEmptyBodyAsInvalidJson) { expect_invalid_json(""); }

TEST(ParseCompletionRequest, RejectsTruncatedBodyAsInvalidJson) {
  const std::string full = chat_body(R"("max_tokens":5)");
  // Every proper prefix of the body is broken JSON.
  for (std::size_t n = 1; n < full.size(); ++n) expect_invalid_json(full.substr(0, n));
}

TEST(ParseCompletionRequest, RejectsTrailingGarbageAsInvalidJson) {
  expect_invalid_json(R"({"a":1} x)");
  expect_invalid_json(chat_body() + " x");
  expect_invalid_json(chat_body() + "}");
  expect_invalid_json(chat_body() + chat_body());
}

TEST(ParseCompletionRequest, RejectsBrokenValueInAnUnrelatedFieldAsInvalidJson) {
  // The interpreted fields are fine; the damage is deep inside a field nobody reads.
  expect_invalid_json(
      chat_body(R"("tools":[{"type":"function","function":{"parameters":{"a":[1,2,tru]}}}])"));
  expect_invalid_json(chat_body(R"("logit_bias":{"50256":-}})"));
  expect_invalid_json(chat_body(R"("x":{"y":[1,,2]})"));
  expect_invalid_json(chat_body(R"("x":"bad \q escape")"));
  expect_invalid_json(
      chat_body("\"x\":\"raw\x01"
                "control\""));
  // ...and inside a message field that is not interpreted.
  expect_invalid_json(
      R"({"model":"m","messages":[{"role":"user","content":"hi","name":{"n":nul}}]})");
}

TEST(ParseCompletionRequest, RejectsStructuralErrorsAsInvalidJson) {
  expect_invalid_json(R"({"model":"m",})");
  expect_invalid_json(R"({"model" "m"})");
  expect_invalid_json(R"({'model':'m'})");
  expect_invalid_json(R"({"model":"m","messages":[{"role":"user","content":"hi"}])");
  expect_invalid_json(R"({"model":"unterminated)");
}

TEST(ParseCompletionRequest, RejectsNonObjectBodyAsInvalidJson) {
  expect_invalid_json(R"([{"model":"m"}])");
  expect_invalid_json(R"("model")");
  expect_invalid_json("42");
  expect_invalid_json("null");
}

// --- priority and the upstream body ----------------------------------------------------------

struct PriorityCase {
  const char* name;
  std::string body;
  std::string expected_upstream;
};

TEST(ParseCompletionRequest, AcceptsNumbersOfAnySizeInFieldsItDoesNotRead) {
  const std::string body =
      R"({"model":"m","x":18446744073709551616,"y":1e309,"z":-1.5e-400,"messages":)" +
      std::string(kMessages) + R"(,"w":[123456789012345678901234567890]})";
  const auto r = parse_chat(body);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->upstream_body, body);  // byte for byte
}

TEST(ParseCompletionRequest, OutOfRangeMaxTokensIsInvalidParamsNotInvalidJson) {
  for (const char* value : {"18446744073709551617", "1e309", "-1", "2.5", "10000001"}) {
    const auto r = parse_chat(R"({"model":"m","max_tokens":)" + std::string(value) +
                              R"(,"messages":)" + std::string(kMessages) + "}");
    ASSERT_FALSE(r.has_value()) << value;
    EXPECT_EQ(r.error().code, ErrorCode::InvalidParams) << value;
    EXPECT_EQ(r.error().param, "max_tokens") << value;
  }
}

TEST(ParseCompletionRequest, RemovesStringPriorityInEveryPosition) {
  const std::string msgs(kMessages);
  const PriorityCase cases[] = {
      {"first", R"({"priority":"batch","model":"m","messages":)" + msgs + "}",
       R"({"model":"m","messages":)" + msgs + "}"},
      {"middle", R"({"model":"m","priority":"batch","messages":)" + msgs + "}",
       R"({"model":"m","messages":)" + msgs + "}"},
      {"last", R"({"model":"m","messages":)" + msgs + R"(,"priority":"batch"})",
       R"({"model":"m","messages":)" + msgs + "}"},
      {"first with spaces", R"({ "priority" : "batch" , "model":"m","messages":)" + msgs + "}",
       R"({ "model":"m","messages":)" + msgs + "}"},
      {"middle pretty-printed",
       "{\n  \"model\": \"m\",\n  \"priority\": \"batch\",\n  \"messages\": " + msgs + "\n}",
       "{\n  \"model\": \"m\",\n  \"messages\": " + msgs + "\n}"},
      {"last pretty-printed with CRLF",
       "{\r\n\t\"model\": \"m\",\r\n\t\"messages\": " + msgs +
           ",\r\n\t\"priority\" :\t\"batch\"\r\n}",
       "{\r\n\t\"model\": \"m\",\r\n\t\"messages\": " + msgs + "\r\n}"},
      {"first pretty-printed",
       "{\n  \"priority\": \"batch\"\n  ,\n  \"model\": \"m\",\n  \"messages\": " + msgs + "\n}",
       "{\n  \"model\": \"m\",\n  \"messages\": " + msgs + "\n}"},
      {"space before comma", R"({"model":"m" , "priority":"batch" , "messages":)" + msgs + "}",
       R"({"model":"m" , "messages":)" + msgs + "}"},
      {"empty string", R"({"model":"m","priority":"","messages":)" + msgs + "}",
       R"({"model":"m","messages":)" + msgs + "}"},
  };
  for (const PriorityCase& c : cases) {
    const auto r = parse_chat(c.body);
    ASSERT_TRUE(r.has_value()) << c.name << ": " << r.error().message;
    ASSERT_TRUE(r->priority.has_value()) << c.name;
    EXPECT_EQ(r->upstream_body, c.expected_upstream) << c.name;
    EXPECT_TRUE(is_valid_json(r->upstream_body)) << c.name << ": " << r->upstream_body;
    EXPECT_EQ(r->upstream_body.find("priority"), std::string::npos) << c.name;
  }
}

TEST(ParseCompletionRequest, RemovesPriorityWithEscapedQuoteInValue) {
  const auto r = parse_chat(
      R"({"model":"m","priority":"ba\"tch","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->priority, "ba\"tch");
  EXPECT_EQ(r->upstream_body, chat_body());
}

TEST(ParseCompletionRequest, RemovesPriorityWhoseValueEndsInEscapedBackslash) {
  // "a\\" is the string `a\`: its closing quote follows a backslash that is itself escaped.
  const auto r =
      parse_chat(R"({"model":"m","priority":"a\\","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->priority, "a\\");
  EXPECT_EQ(r->upstream_body, chat_body());
  EXPECT_TRUE(is_valid_json(r->upstream_body)) << r->upstream_body;
}

TEST(ParseCompletionRequest, RemovesPriorityFromTextRequest) {
  const auto r = parse_text(R"({"prompt":"p","priority":"batch","model":"m"})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->priority, "batch");
  EXPECT_EQ(r->upstream_body, R"({"prompt":"p","model":"m"})");
}

TEST(ParseCompletionRequest, LeavesNumericPriorityUntouched) {
  const std::string body = chat_body(R"("priority":5)");
  const auto r = parse_chat(body);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->priority.has_value());
  EXPECT_EQ(r->upstream_body, body);
}

TEST(ParseCompletionRequest, LeavesNullPriorityUntouched) {
  const std::string body =
      R"({"priority":null,"model":"m","messages":[{"role":"user","content":"x"}]})";
  const auto r = parse_chat(body);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->priority.has_value());
  EXPECT_EQ(r->upstream_body, body);
}

TEST(ParseCompletionRequest, LeavesNestedPriorityMembersUntouched) {
  // Only the top-level member is ours; a `priority` inside another object belongs to someone else.
  const std::string body = chat_body(R"("metadata":{"priority":"high"},"priority":"batch")");
  const auto r = parse_chat(body);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->priority, "batch");
  EXPECT_EQ(r->upstream_body, chat_body(R"("metadata":{"priority":"high"})"));
}

TEST(ParseCompletionRequest, PreservesUnknownFieldsByteForByte) {
  const std::string body =
      "{\"model\":\"m\",  \"temperature\" : 0.70 ,\"top_p\":1e-1,"
      "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":"
      "\"object\",\"properties\":{}}}}],\n\"logit_bias\":{\"50256\":-100},"
      "\"user\":\"caf\\u00e9 \xC3\xA9 \\\"q\\\"\",\"seed\":18446744073709551615,"
      "\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"name\":\"n\"}],"
      "\"x_vendor\":{\"a\":[1,2.5,{\"b\":null,\"c\":[true,false]}]}}";
  const auto r = parse_chat(body);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->upstream_body, body);
}

TEST(ParseCompletionRequest, PreservesEveryOtherByteWhenRemovingPriority) {
  const std::string before =
      "{\"model\":\"m\",  \"temperature\" : 0.70 ,\"messages\":[{\"role\":"
      "\"user\",\"content\":\"\\u00e9\"}],\"x\":{\"y\":[1, 2]}";
  const std::string after = "}";
  const auto r = parse_chat(before + ",\"priority\":\"low\"" + after);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->upstream_body, before + after);
}

// --- prompt-size estimate ---------------------------------------------------------------------

std::uint32_t chat_tokens(std::string_view messages_json) {
  auto r =
      parse_chat(std::string(R"({"model":"m","messages":)") + std::string(messages_json) + "}");
  EXPECT_TRUE(r.has_value()) << messages_json;
  return r ? r->estimated_prompt_tokens : 0xFFFFFFFFu;
}

std::uint32_t text_tokens(std::string_view prompt_json) {
  auto r = parse_text(std::string(R"({"model":"m","prompt":)") + std::string(prompt_json) + "}");
  EXPECT_TRUE(r.has_value()) << prompt_json;
  return r ? r->estimated_prompt_tokens : 0xFFFFFFFFu;
}

TEST(EstimatedPromptTokens, RoundsUpFourCharactersPerTokenForStringContent) {
  EXPECT_EQ(chat_tokens(R"([{"role":"user","content":""}])"), 0u);
  EXPECT_EQ(chat_tokens(R"([{"role":"user","content":"a"}])"), 1u);
  EXPECT_EQ(chat_tokens(R"([{"role":"user","content":"abcd"}])"), 1u);
  EXPECT_EQ(chat_tokens(R"([{"role":"user","content":"abcde"}])"), 2u);
  EXPECT_EQ(chat_tokens(R"([{"role":"user","content":"hello world!"}])"), 3u);
}

TEST(EstimatedPromptTokens, SumsCharactersAcrossMessagesBeforeRounding) {
  // 1 + 1 + 2 = 4 characters: one token (rounding each message would give three).
  EXPECT_EQ(chat_tokens(R"([{"role":"system","content":"a"},{"role":"user","content":"b"},)"
                        R"({"role":"assistant","content":"cd"}])"),
            1u);
}

TEST(EstimatedPromptTokens, CountsUnescapedCharacters) {
  // Five escaped characters are 30 bytes of JSON but five characters of text.
  EXPECT_EQ(chat_tokens(R"([{"role":"user","content":"\u0041\u0041\u0041\u0041\u0041"}])"), 2u);
}

TEST(EstimatedPromptTokens, IgnoresRoleAndOtherMessageFields) {
  EXPECT_EQ(
      chat_tokens(R"([{"role":"a-very-long-role-name","name":"a-long-name","content":"ab"}])"), 1u);
  EXPECT_EQ(chat_tokens(R"([{"role":"assistant","content":null,"tool_calls":[]}])"), 0u);
}

TEST(EstimatedPromptTokens, CountsTextPartsOfArrayContent) {
  EXPECT_EQ(chat_tokens(R"([{"role":"user","content":[{"type":"text","text":"abcd"},)"
                        R"({"type":"image_url","image_url":{"url":"http://example.com/x.png"}},)"
                        R"({"type":"text","text":"efghi"}]}])"),
            3u);
  EXPECT_EQ(chat_tokens(R"([{"role":"user","content":[]}])"), 0u);
}

TEST(EstimatedPromptTokens, CountsPromptString) {
  EXPECT_EQ(text_tokens(R"("abcdefghi")"), 3u);
  EXPECT_EQ(text_tokens(R"("")"), 0u);
}

TEST(EstimatedPromptTokens, CountsPromptArray) {
  EXPECT_EQ(text_tokens(R"(["abcd","efgh"])"), 2u);
  EXPECT_EQ(text_tokens(R"(["ab","c"])"), 1u);
  EXPECT_EQ(text_tokens("[]"), 0u);
  // Token ids count a token each (four characters' worth).
  EXPECT_EQ(text_tokens("[1,2,3]"), 3u);
  EXPECT_EQ(text_tokens("[[1,2,3],[4]]"), 2u);
}

}  // namespace
}  // namespace sy::api
