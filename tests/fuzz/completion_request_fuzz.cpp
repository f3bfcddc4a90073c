// libFuzzer target for request validation (api::parse_completion_request) and the upstream request
// built from a valid one (engines::make_upstream_request, given relay::generation_request of it,
// as the relay does). Uses only the public headers, so it keeps working whatever JSON validator
// sits behind them. Built by the `fuzz` preset (docs/fuzzing.md).
//
// Input layout: byte 0 bit 0 picks the route (0 chat, 1 text completion); the rest is the body.
// Properties:
//   1. Deterministic: parsing the same body twice gives the same request or the same error.
//   2. Errors are InvalidJson or InvalidParams, with a message; InvalidParams names its `param`.
//   3. A valid request has a non-empty model. Without a string `priority` member its upstream
//      body is the client's bytes exactly; with one it is shorter. When simdjson accepts the
//      client's body it accepts the upstream body too. The upstream body parses again to the same
//      model, stream, include_usage and max_tokens.
//   4. make_upstream_request: OpenAI (and chat on llama.cpp) sends the upstream body unchanged to
//      the base path + route; llama.cpp's /completion body, when the upstream body is JSON
//      simdjson accepts, is valid JSON with `stream` as requested, no `model`, and `n_predict`
//      equal to max_tokens when that was set.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/completion_request.hpp"
#include "common/error.hpp"
#include "engines/engine_protocol.hpp"
#include "engines/upstream_request.hpp"
#include "fuzz_support.hpp"
#include "relay/request_shapes.hpp"

namespace {

using sy::api::CompletionKind;
using sy::api::CompletionRequest;

bool same(const CompletionRequest& a, const CompletionRequest& b) {
  return a.kind == b.kind && a.model == b.model && a.stream == b.stream &&
         a.include_usage == b.include_usage && a.max_tokens == b.max_tokens &&
         a.priority == b.priority && a.estimated_prompt_tokens == b.estimated_prompt_tokens &&
         a.upstream_body == b.upstream_body;
}

bool same(const sy::Error& a, const sy::Error& b) {
  return a.code == b.code && a.message == b.message && a.param == b.param &&
         a.retry_after_ms == b.retry_after_ms;
}

simdjson::dom::parser& dom_parser() {
  static simdjson::dom::parser parser;
  return parser;
}

bool is_json(std::string_view text) {
  simdjson::dom::element ignored;
  return !dom_parser().parse(simdjson::padded_string(text)).get(ignored);
}

void check_upstream_requests(const CompletionRequest& req, bool body_is_dom_json) {
  const bool chat = req.kind == CompletionKind::Chat;
  const sy::engines::GenerationRequest generation = sy::relay::generation_request(req);
  SY_FUZZ_CHECK(generation.chat == chat && generation.stream == req.stream &&
                generation.max_tokens == req.max_tokens && generation.body == req.upstream_body);
  const auto openai =
      sy::engines::make_upstream_request(sy::engines::Protocol::OpenAI, generation, "/b");
  SY_FUZZ_CHECK(openai.has_value());
  SY_FUZZ_CHECK(openai->path == (chat ? "/b/v1/chat/completions" : "/b/v1/completions"));
  SY_FUZZ_CHECK(openai->body == req.upstream_body);

  const auto llama =
      sy::engines::make_upstream_request(sy::engines::Protocol::LlamaCpp, generation, "");
  if (chat) {
    SY_FUZZ_CHECK(llama && llama->path == "/v1/chat/completions");
    SY_FUZZ_CHECK(llama->body == req.upstream_body);
    return;
  }
  if (!body_is_dom_json) return;  // e.g. a number too big for simdjson: an error is fine
  SY_FUZZ_CHECK(llama && llama->path == "/completion");
  simdjson::dom::object root;
  SY_FUZZ_CHECK(!dom_parser().parse(simdjson::padded_string(llama->body)).get(root));
  bool stream = !req.stream;
  SY_FUZZ_CHECK(!root["stream"].get_bool().get(stream) && stream == req.stream);
  SY_FUZZ_CHECK(root["model"].error() == simdjson::NO_SUCH_FIELD);
  if (req.max_tokens) {
    std::int64_t n = 0;
    SY_FUZZ_CHECK(!root["n_predict"].get_int64().get(n) && n == *req.max_tokens);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const CompletionKind kind = (data[0] & 1) != 0 ? CompletionKind::Text : CompletionKind::Chat;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto first = sy::api::parse_completion_request(kind, body);
  const auto second = sy::api::parse_completion_request(kind, body);
  SY_FUZZ_CHECK(first.has_value() == second.has_value());
  if (!first) {
    SY_FUZZ_CHECK(same(first.error(), second.error()));
    const sy::Error& e = first.error();
    SY_FUZZ_CHECK(e.code == sy::ErrorCode::InvalidJson || e.code == sy::ErrorCode::InvalidParams);
    SY_FUZZ_CHECK(!e.message.empty());
    SY_FUZZ_CHECK(e.code != sy::ErrorCode::InvalidParams || !e.param.empty());
    return 0;
  }
  SY_FUZZ_CHECK(same(*first, *second));
  const CompletionRequest& req = *first;
  SY_FUZZ_CHECK(req.kind == kind);
  SY_FUZZ_CHECK(!req.model.empty());
  if (req.priority) {
    SY_FUZZ_CHECK(req.upstream_body.size() < body.size());
  } else {
    SY_FUZZ_CHECK(req.upstream_body == body);
  }
  const bool upstream_is_dom_json = is_json(req.upstream_body);
  if (is_json(body)) SY_FUZZ_CHECK(upstream_is_dom_json);

  const auto again = sy::api::parse_completion_request(kind, req.upstream_body);
  SY_FUZZ_CHECK(again.has_value());
  SY_FUZZ_CHECK(again->model == req.model && again->stream == req.stream &&
                again->include_usage == req.include_usage && again->max_tokens == req.max_tokens);

  check_upstream_requests(req, upstream_is_dom_json);
  return 0;
}
