// Stream translators: OpenAI pass-through and llama.cpp native → OpenAI chunks; the cheap scans.

#include "engines/stream_translator.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sse/sse_parser.hpp"

namespace sy::engines {
namespace {

sse::Event data_event(std::string_view data, std::string_view name = {}) {
  return sse::Event{name, data, {}};
}

api::CompletionRequest request(api::CompletionKind kind, bool include_usage = false) {
  api::CompletionRequest r;
  r.kind = kind;
  r.model = "llama-3";
  r.stream = true;
  r.include_usage = include_usage;
  return r;
}

std::unique_ptr<StreamTranslator> openai() {
  return make_stream_translator(Protocol::OpenAI, request(api::CompletionKind::Chat), "cid");
}

std::unique_ptr<StreamTranslator> llamacpp(bool include_usage = false) {
  return make_stream_translator(Protocol::LlamaCpp,
                                request(api::CompletionKind::Text, include_usage), "cid-1");
}

struct ParsedEvent {
  std::string event;
  std::string data;
};

// Splits SSE output back into events (and checks it parses cleanly and completely).
std::vector<ParsedEvent> parse_sse(std::string_view bytes) {
  std::vector<ParsedEvent> events;
  sse::Parser parser;
  const auto status = parser.feed(bytes, [&](const sse::Event& e) {
    events.push_back({std::string(e.event), std::string(e.data)});
  });
  EXPECT_EQ(status, sse::ParseStatus::Ok);
  EXPECT_TRUE(bytes.empty() || bytes.ends_with("\n\n")) << bytes;
  return events;
}

// A parsed JSON document that lives as long as the test needs it.
struct Json {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
};

void parse_json(std::string_view text, Json& out) {
  ASSERT_FALSE(out.parser.parse(simdjson::padded_string(text)).get(out.root)) << text;
}

std::string_view str(simdjson::simdjson_result<simdjson::dom::element> e) {
  std::string_view s;
  EXPECT_FALSE(e.get_string().get(s));
  return s;
}

std::uint64_t uint(simdjson::simdjson_result<simdjson::dom::element> e) {
  std::uint64_t v = 0;
  EXPECT_FALSE(e.get_uint64().get(v));
  return v;
}

// --- has_usage_member -------------------------------------------------------------------------

TEST(HasUsageMember, FindsTheUsageKeyOnly) {
  EXPECT_TRUE(has_usage_member(R"({"choices":[],"usage":{"prompt_tokens":3}})"));
  EXPECT_TRUE(has_usage_member(R"({"usage":null})"));
  EXPECT_FALSE(has_usage_member(R"({"choices":[{"delta":{"content":"usage"}}]})"));
  EXPECT_FALSE(has_usage_member(R"({"choices":[{"delta":{"content":"my usage\" is"}}]})"));
  EXPECT_FALSE(has_usage_member(R"({"token_usage":1})"));
  EXPECT_FALSE(has_usage_member(""));
}

// --- chunk_has_content ------------------------------------------------------------------------

TEST(ChunkHasContent, IsTrueForNonEmptyDeltaContent) {
  EXPECT_TRUE(chunk_has_content(R"({"choices":[{"delta":{"content":"Hel"}}]})"));
  EXPECT_TRUE(chunk_has_content(R"({"choices":[{"delta":{"content": "x"}}]})"));
  EXPECT_TRUE(chunk_has_content(R"({"choices":[{"delta":{"content":"\""}}]})"));
  EXPECT_TRUE(chunk_has_content(R"({"choices":[{"delta":{"content":" "}}]})"));
}

TEST(ChunkHasContent, IsTrueForNonEmptyText) {
  EXPECT_TRUE(chunk_has_content(R"({"choices":[{"text":"abc","index":0}]})"));
}

TEST(ChunkHasContent, IsFalseForEmptyNullOrMissingContent) {
  EXPECT_FALSE(chunk_has_content(R"({"choices":[{"delta":{"role":"assistant","content":""}}]})"));
  EXPECT_FALSE(chunk_has_content(R"({"choices":[{"delta":{"role":"assistant"}}]})"));
  EXPECT_FALSE(chunk_has_content(R"({"choices":[{"delta":{"content":null}}]})"));
  EXPECT_FALSE(chunk_has_content(R"({"choices":[{"delta":{"content": ""}}]})"));
  EXPECT_FALSE(chunk_has_content(R"({"choices":[{"text":"","finish_reason":"length"}]})"));
  EXPECT_FALSE(chunk_has_content(R"({"choices":[{"delta":{},"finish_reason":"stop"}]})"));
  EXPECT_FALSE(chunk_has_content(""));
  EXPECT_FALSE(chunk_has_content("{}"));
}

TEST(ChunkHasContent, IgnoresSimilarKeysAndEscapedKeyText) {
  EXPECT_FALSE(chunk_has_content(R"({"contents":"x","texts":"y"})"));
  EXPECT_FALSE(chunk_has_content(R"({"reasoning_content_x":"","role":"say \"content\":\"y\""})"));
}

TEST(ChunkHasContent, FindsContentInAnyChoice) {
  EXPECT_TRUE(chunk_has_content(
      R"({"choices":[{"index":0,"delta":{"content":""}},{"index":1,"delta":{"content":"b"}}]})"));
  EXPECT_TRUE(chunk_has_content(R"({"choices":[{"delta":{"content":""}}],"text":"z"})"));
}

TEST(ChunkHasContent, IsFalseWhenTruncatedAfterOpeningQuote) {
  EXPECT_FALSE(chunk_has_content(R"({"content":")"));
  EXPECT_FALSE(chunk_has_content(R"({"content":)"));
}

// --- scan_uint_member -------------------------------------------------------------------------

TEST(ScanUintMember, ReadsIntegerMember) {
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens":7})", "completion_tokens"), 7u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens" : 42,"x":1})", "completion_tokens"), 42u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens":0})", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member(R"({"n":18446744073709551615})", "n"), 18446744073709551615u);
}

TEST(ScanUintMember, ReturnsZeroWhenAbsentOrNotAnInteger) {
  EXPECT_EQ(scan_uint_member(R"({"prompt_tokens":7})", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens":null})", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens":-5})", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens":"7"})", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member("", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member("completion_tokens:7", "completion_tokens"), 0u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens)", "completion_tokens"), 0u);
}

TEST(ScanUintMember, SkipsLongerNamesContainingTheName) {
  EXPECT_EQ(scan_uint_member(R"({"prompt_tokens_details":{"cached_tokens":3},"prompt_tokens":9})",
                             "prompt_tokens"),
            9u);
  EXPECT_EQ(scan_uint_member(R"({"cached_prompt_tokens":5,"prompt_tokens":9})", "prompt_tokens"),
            9u);
}

TEST(ScanUintMember, SkipsTheNameAppearingAsAStringValue) {
  EXPECT_EQ(scan_uint_member(R"({"note":"completion_tokens","completion_tokens":4})",
                             "completion_tokens"),
            4u);
  EXPECT_EQ(scan_uint_member(R"({"completion_tokens":null,"usage":{"completion_tokens":3}})",
                             "completion_tokens"),
            3u);
}

// --- OpenAI pass-through ----------------------------------------------------------------------

TEST(OpenAIPassThrough, ReEmitsDataEventExactly) {
  auto t = openai();
  const std::string data =
      R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"}}]})";
  std::string out;
  EXPECT_EQ(t->on_event(data_event(data), out), EventResult::Continue);
  EXPECT_EQ(out, "data: " + data + "\n\n");
}

TEST(OpenAIPassThrough, AppendsWithoutClearingOutput) {
  auto t = openai();
  std::string out = "data: a\n\n";
  EXPECT_EQ(t->on_event(data_event(R"({"choices":[{"delta":{"content":"b"}}]})"), out),
            EventResult::Continue);
  EXPECT_EQ(out, "data: a\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n");
}

TEST(OpenAIPassThrough, CountsOnlyContentBearingEvents) {
  auto t = openai();
  std::string out;
  const char* events[] = {
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",  // not counted
      R"({"choices":[{"index":0,"delta":{"content":"Hel"}}]})",
      R"({"choices":[{"index":0,"delta":{"content":""}}]})",  // not counted
      R"({"choices":[{"index":0,"delta":{"content":"lo"}}]})",
      R"({"choices":[{"index":0,"delta":{"content":null,"tool_calls":[]}}]})",  // not counted
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})",         // not counted
  };
  for (const char* e : events) ASSERT_EQ(t->on_event(data_event(e), out), EventResult::Continue);
  EXPECT_EQ(t->content_events(), 2u);
  EXPECT_EQ(t->tokens_out(), 2u);
  EXPECT_EQ(t->prompt_tokens(), 0u);
}

TEST(OpenAIPassThrough, CountsTextCompletionChunks) {
  auto t = openai();
  std::string out;
  ASSERT_EQ(t->on_event(data_event(R"({"choices":[{"text":"a","index":0}]})"), out),
            EventResult::Continue);
  ASSERT_EQ(t->on_event(
                data_event(R"({"choices":[{"text":"","index":0,"finish_reason":"length"}]})"), out),
            EventResult::Continue);
  EXPECT_EQ(t->content_events(), 1u);
}

TEST(OpenAIPassThrough, PrefersUsageCountsWhenReported) {
  auto t = openai();
  std::string out;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(
        t->on_event(data_event(R"({"choices":[{"delta":{"content":"x"}}],"usage":null})"), out),
        EventResult::Continue);
  }
  EXPECT_EQ(t->tokens_out(), 3u);
  EXPECT_EQ(t->prompt_tokens(), 0u);
  ASSERT_EQ(t->on_event(
                data_event(R"({"choices":[],"usage":{"prompt_tokens_details":{"cached_tokens":4},)"
                           R"("prompt_tokens":12,"completion_tokens":7,"total_tokens":19,)"
                           R"("completion_tokens_details":{"reasoning_tokens":2}}})"),
                out),
            EventResult::Continue);
  EXPECT_EQ(t->tokens_out(), 7u);
  EXPECT_EQ(t->prompt_tokens(), 12u);
  EXPECT_EQ(t->content_events(), 3u);
}

TEST(OpenAIPassThrough, EndsOnDone) {
  auto t = openai();
  std::string out;
  EXPECT_EQ(t->on_event(data_event("[DONE]"), out), EventResult::Done);
  EXPECT_EQ(out, "data: [DONE]\n\n");
}

TEST(OpenAIPassThrough, ReportsEngineErrorAndForwardsIt) {
  for (std::string_view data : {std::string_view(R"({"error":{"message":"boom","code":500}})"),
                                std::string_view(R"({"error" :{"message":"boom"}})"),
                                std::string_view(R"(  {"error":"overloaded"})")}) {
    auto t = openai();
    std::string out;
    EXPECT_EQ(t->on_event(data_event(data), out), EventResult::EngineError) << data;
    EXPECT_EQ(out, "data: " + std::string(data) + "\n\n");
    EXPECT_EQ(t->content_events(), 0u);
  }
}

TEST(OpenAIPassThrough, DoesNotTreatAnErrorMemberLaterInTheChunkAsEngineError) {
  auto t = openai();
  std::string out;
  EXPECT_EQ(t->on_event(data_event(R"({"choices":[{"delta":{"content":"x"}}],"error":null})"), out),
            EventResult::Continue);
}

TEST(OpenAIPassThrough, ReEmitsNamedEventsWithEventLine) {
  auto t = openai();
  std::string out;
  EXPECT_EQ(t->on_event(data_event(R"({"type":"ping"})", "ping"), out), EventResult::Continue);
  EXPECT_EQ(out, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
  out.clear();
  EXPECT_EQ(t->on_event(data_event(R"({"x":1})", "message"), out), EventResult::Continue);
  EXPECT_EQ(out, "data: {\"x\":1}\n\n");
}

TEST(OpenAIPassThrough, SplitsMultiLineDataIntoDataLines) {
  auto t = openai();
  std::string out;
  EXPECT_EQ(t->on_event(data_event("line one\nline two"), out), EventResult::Continue);
  EXPECT_EQ(out, "data: line one\ndata: line two\n\n");
}

TEST(OpenAIPassThrough, RoundTripsACanonicalStreamByteForByte) {
  const std::string stream =
      "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\" world\"}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,"
      "\"total_tokens\":7}}\n\n"
      "data: [DONE]\n\n";
  auto t = openai();
  std::string out;
  std::vector<EventResult> results;
  sse::Parser parser;
  // Feed in small pieces, as the network would.
  for (std::size_t i = 0; i < stream.size(); i += 5) {
    ASSERT_EQ(parser.feed(std::string_view(stream).substr(i, 5),
                          [&](const sse::Event& e) { results.push_back(t->on_event(e, out)); }),
              sse::ParseStatus::Ok);
  }
  EXPECT_EQ(out, stream);
  ASSERT_EQ(results.size(), 6u);
  EXPECT_EQ(results.back(), EventResult::Done);
  for (std::size_t i = 0; i + 1 < results.size(); ++i) EXPECT_EQ(results[i], EventResult::Continue);
  EXPECT_EQ(t->content_events(), 2u);
  EXPECT_EQ(t->tokens_out(), 2u);
  EXPECT_EQ(t->prompt_tokens(), 5u);
}

TEST(OpenAIPassThrough, TranslateBodyReturnsBodyAndReadsUsage) {
  auto t = openai();
  const std::string body =
      "{\n  \"id\": \"x\",\n  \"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": "
      "\"hi\"}}],\n  \"usage\": {\"prompt_tokens\": 11, \"completion_tokens\": 22, "
      "\"total_tokens\": 33}\n}";
  const auto r = t->translate_body(body);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, body);
  EXPECT_EQ(t->tokens_out(), 22u);
  EXPECT_EQ(t->prompt_tokens(), 11u);
}

TEST(MakeStreamTranslator, UsesPassThroughForLlamaCppChat) {
  auto t = make_stream_translator(Protocol::LlamaCpp, request(api::CompletionKind::Chat), "cid");
  const std::string data = R"({"content":"x","stop":false})";
  std::string out;
  EXPECT_EQ(t->on_event(data_event(data), out), EventResult::Continue);
  EXPECT_EQ(out, "data: " + data + "\n\n");
}

// --- llama.cpp native completion stream -------------------------------------------------------

TEST(LlamaCppTranslator, TurnsTokenIntoTextCompletionChunk) {
  auto t = llamacpp();
  const auto before = static_cast<std::int64_t>(std::time(nullptr));
  std::string out;
  EXPECT_EQ(t->on_event(data_event(R"({"content":"Hel","stop":false})"), out),
            EventResult::Continue);
  const auto after = static_cast<std::int64_t>(std::time(nullptr));
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
  EXPECT_GE(created, before - 1);
  EXPECT_LE(created, after);
  simdjson::dom::array choices;
  ASSERT_FALSE(j.root["choices"].get_array().get(choices));
  ASSERT_EQ(choices.size(), 1u);
  EXPECT_EQ(str(choices.at(0)["text"]), "Hel");
  EXPECT_EQ(uint(choices.at(0)["index"]), 0u);
  EXPECT_TRUE(choices.at(0)["finish_reason"].is_null());
  EXPECT_TRUE(choices.at(0)["logprobs"].is_null());
  EXPECT_EQ(j.root["usage"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(t->content_events(), 1u);
  EXPECT_EQ(t->tokens_out(), 1u);
}

TEST(LlamaCppTranslator, EscapesTokenTextIntoOneDataLine) {
  auto t = llamacpp();
  std::string out;
  EXPECT_EQ(t->on_event(data_event(R"({"content":"a\"b\nc\\d\u00e9","stop":false})"), out),
            EventResult::Continue);
  // The newline in the token is JSON-escaped, so the SSE event is a single data line.
  EXPECT_EQ(out.find('\n'), out.size() - 2) << out;
  const auto events = parse_sse(out);
  ASSERT_EQ(events.size(), 1u);
  Json j;
  parse_json(events[0].data, j);
  EXPECT_EQ(str(j.root["choices"].at(0)["text"]), "a\"b\nc\\d\xC3\xA9");
}

TEST(LlamaCppTranslator, SkipsEmptyNonFinalChunk) {
  auto t = llamacpp();
  std::string out;
  EXPECT_EQ(t->on_event(data_event(R"({"content":"","stop":false})"), out), EventResult::Continue);
  EXPECT_EQ(out, "");
  EXPECT_EQ(t->content_events(), 0u);
}

TEST(LlamaCppTranslator, FinishesWithLengthWhenLimitReached) {
  auto t = llamacpp();
  std::string out;
  for (const char* tok : {"a", "b", "c"}) {
    ASSERT_EQ(
        t->on_event(data_event(std::string(R"({"content":")") + tok + R"(","stop":false})"), out),
        EventResult::Continue);
  }
  EXPECT_EQ(t->tokens_out(), 3u);
  out.clear();
  EXPECT_EQ(t->on_event(data_event(R"({"content":"","stop":true,"stop_type":"limit",)"
                                   R"("tokens_predicted":3,"tokens_evaluated":5})"),
                        out),
            EventResult::Done);
  const auto events = parse_sse(out);
  ASSERT_EQ(events.size(), 2u) << out;
  Json j;
  parse_json(events[0].data, j);
  EXPECT_EQ(str(j.root["object"]), "text_completion");
  EXPECT_EQ(str(j.root["choices"].at(0)["text"]), "");
  EXPECT_EQ(str(j.root["choices"].at(0)["finish_reason"]), "length");
  EXPECT_EQ(j.root["usage"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(events[1].data, "[DONE]");
  EXPECT_TRUE(out.ends_with("data: [DONE]\n\n"));
  EXPECT_EQ(t->tokens_out(), 3u);
  EXPECT_EQ(t->prompt_tokens(), 5u);
  EXPECT_EQ(t->content_events(), 3u);
}

TEST(LlamaCppTranslator, FinishesWithStopOnEosOrStopWord) {
  for (const char* stop_type : {"eos", "word"}) {
    auto t = llamacpp();
    std::string out;
    EXPECT_EQ(t->on_event(data_event(std::string(R"({"content":"","stop":true,"stop_type":")") +
                                     stop_type + R"(","tokens_predicted":1,"tokens_evaluated":2})"),
                          out),
              EventResult::Done);
    const auto events = parse_sse(out);
    ASSERT_EQ(events.size(), 2u) << out;
    Json j;
    parse_json(events[0].data, j);
    EXPECT_EQ(str(j.root["choices"].at(0)["finish_reason"]), "stop") << stop_type;
  }
}

TEST(LlamaCppTranslator, EmitsUsageChunkWhenRequested) {
  auto t = llamacpp(/*include_usage=*/true);
  std::string out;
  EXPECT_EQ(t->on_event(data_event(R"({"content":"","stop":true,"stop_type":"limit",)"
                                   R"("tokens_predicted":3,"tokens_evaluated":5})"),
                        out),
            EventResult::Done);
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

TEST(LlamaCppTranslator, EmitsFinalContentBeforeFinishChunk) {
  auto t = llamacpp();
  std::string out;
  EXPECT_EQ(t->on_event(data_event(R"({"content":"!","stop":true,"stop_type":"eos",)"
                                   R"("tokens_predicted":1,"tokens_evaluated":1})"),
                        out),
            EventResult::Done);
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
  EXPECT_EQ(t->content_events(), 1u);
}

TEST(LlamaCppTranslator, ReportsInvalidJsonChunkAsMalformed) {
  for (std::string_view data : {std::string_view("not json"), std::string_view(R"({"content":"x")"),
                                std::string_view("")}) {
    auto t = llamacpp();
    std::string out;
    EXPECT_EQ(t->on_event(data_event(data), out), EventResult::Malformed) << data;
    const auto events = parse_sse(out);
    ASSERT_EQ(events.size(), 1u) << out;
    Json j;
    parse_json(events[0].data, j);
    EXPECT_EQ(str(j.root["error"]["code"]), "upstream_error");
    EXPECT_EQ(str(j.root["error"]["type"]), "server_error");
    EXPECT_FALSE(str(j.root["error"]["message"]).empty());
    EXPECT_TRUE(j.root["error"]["param"].is_null());
    EXPECT_EQ(t->content_events(), 0u);
  }
}

TEST(LlamaCppTranslator, ForwardsEngineErrorObject) {
  auto t = llamacpp();
  const std::string data =
      R"({"error":{"code":500,"message":"context full","type":"server_error"}})";
  std::string out;
  EXPECT_EQ(t->on_event(data_event(data), out), EventResult::EngineError);
  EXPECT_EQ(out, "data: " + data + "\n\n");
}

TEST(LlamaCppTranslator, TranslatesWholeBody) {
  auto t = llamacpp();
  const auto r = t->translate_body(
      R"({"content":"Hello world","stop":true,"stop_type":"eos","tokens_predicted":2,)"
      R"("tokens_evaluated":4,"generation_settings":{"n_ctx":4096}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
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
  EXPECT_EQ(t->tokens_out(), 2u);
  EXPECT_EQ(t->prompt_tokens(), 4u);
}

TEST(LlamaCppTranslator, TranslatesLimitStopInBodyToLength) {
  auto t = llamacpp();
  const auto r = t->translate_body(
      R"({"content":"x","stop":true,"stop_type":"limit","tokens_predicted":1,"tokens_evaluated":1})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  Json j;
  parse_json(*r, j);
  EXPECT_EQ(str(j.root["choices"].at(0)["finish_reason"]), "length");
}

TEST(LlamaCppTranslator, FailsOnInvalidBody) {
  auto t = llamacpp();
  const auto r = t->translate_body("<html>502 Bad Gateway</html>");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::UpstreamError);
}

}  // namespace
}  // namespace sy::engines
