#include "engines/upstream_request.hpp"

#include <simdjson.h>

#include "common/json_writer.hpp"

namespace sy::engines {

std::string_view to_string(Protocol p) noexcept {
  return p == Protocol::OpenAI ? "openai" : "llamacpp";
}

namespace {

std::string join_path(std::string_view base, std::string_view path) {
  std::string out(base);
  out += path;
  return out;
}

// OpenAI /v1/completions → llama.cpp /completion. Every member passes through as it is except
// those Switchyard translates: `max_tokens` / `max_completion_tokens` become `n_predict`, a string
// `stop` becomes a one-element array, `stream` is set, `stream_options` (answered by Switchyard)
// and `model` (used for placement) stay behind. llama.cpp ignores members it does not know.
Result<std::string> to_llamacpp_completion(const api::CompletionRequest& request) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(request.upstream_body).get(root)) {
    return fail(ErrorCode::InvalidJson, "The request body is not valid JSON.");
  }
  std::string out;
  out.reserve(request.upstream_body.size() + 64);
  JsonWriter w(out);
  w.begin_object();
  static constexpr std::string_view kTranslated[] = {
      "model", "max_tokens", "max_completion_tokens", "stream", "stream_options", "stop"};
  bool client_n_predict = false;
  bool client_cache_prompt = false;
  for (auto [key, value] : root) {
    bool translated = false;
    for (std::string_view name : kTranslated) translated = translated || key == name;
    if (key == "stop") {
      if (value.is_string()) {
        w.key("stop").begin_array().raw(simdjson::minify(value)).end_array();
      } else if (value.is_array()) {
        w.key("stop").raw(simdjson::minify(value));
      }
    }
    if (translated) continue;
    // The client's own n_predict stands only when it did not also send max_tokens.
    if (key == "n_predict") {
      if (request.max_tokens) continue;
      client_n_predict = true;
    }
    if (key == "cache_prompt") client_cache_prompt = true;
    w.key(key).raw(simdjson::minify(value));
  }
  if (!client_n_predict) {
    w.field("n_predict", request.max_tokens ? std::int64_t{*request.max_tokens} : std::int64_t{-1});
  }
  w.field("stream", request.stream);
  if (!client_cache_prompt) w.field("cache_prompt", true);
  w.end_object();
  return out;
}

}  // namespace

Result<UpstreamRequest> make_upstream_request(Protocol protocol,
                                              const api::CompletionRequest& request,
                                              std::string_view base_path) {
  const bool chat = request.kind == api::CompletionKind::Chat;
  if (protocol == Protocol::OpenAI || chat) {
    return UpstreamRequest{join_path(base_path, chat ? "/v1/chat/completions" : "/v1/completions"),
                           request.upstream_body};
  }
  auto body = to_llamacpp_completion(request);
  if (!body) return tl::unexpected(body.error());
  return UpstreamRequest{join_path(base_path, "/completion"), std::move(*body)};
}

}  // namespace sy::engines
