#include "engines/upstream_request.hpp"

#include <string>

#include "common/json_scan.hpp"

namespace sy::engines {

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
Result<std::string> to_llamacpp_completion(const GenerationRequest& request) {
  // The body was validated at admission; members are copied as the client wrote them (numbers of
  // any size included), not re-serialised.
  if (!json::validate(request.body).ok()) {
    return fail(ErrorCode::InvalidJson, "The request body is not valid JSON.");
  }
  const auto members = json::top_level_members(request.body);
  std::string out;
  out.reserve(request.body.size() + 64);
  out += '{';
  auto member = [&out](std::string_view raw_key, std::string_view value) {
    if (out.size() > 1) out += ',';
    out += raw_key;
    out += ':';
    out += value;
  };
  static constexpr std::string_view kTranslated[] = {
      "model", "max_tokens", "max_completion_tokens", "stream", "stream_options", "stop"};
  bool client_n_predict = false;
  bool client_cache_prompt = false;
  for (const json::Member& m : members) {
    bool translated = false;
    for (std::string_view name : kTranslated) translated = translated || m.key == name;
    if (m.key == "stop") {
      if (m.value.front() == '"') {
        member(m.raw_key, "[" + std::string(m.value) + "]");
      } else if (m.value.front() == '[') {
        member(m.raw_key, m.value);
      }
    }
    if (translated) continue;
    // The client's own n_predict stands only when it did not also send max_tokens.
    if (m.key == "n_predict") {
      if (request.max_tokens) continue;
      client_n_predict = true;
    }
    if (m.key == "cache_prompt") client_cache_prompt = true;
    member(m.raw_key, m.value);
  }
  if (!client_n_predict) {
    member("\"n_predict\"", request.max_tokens ? std::to_string(*request.max_tokens) : "-1");
  }
  member("\"stream\"", request.stream ? "true" : "false");
  if (!client_cache_prompt) member("\"cache_prompt\"", "true");
  out += '}';
  return out;
}

}  // namespace

Result<UpstreamRequest> make_upstream_request(Protocol protocol, const GenerationRequest& request,
                                              std::string_view base_path) {
  const bool chat = request.chat;
  if (protocol == Protocol::OpenAI || chat) {
    return UpstreamRequest{join_path(base_path, chat ? "/v1/chat/completions" : "/v1/completions"),
                           std::string(request.body)};
  }
  auto body = to_llamacpp_completion(request);
  if (!body) return tl::unexpected(body.error());
  return UpstreamRequest{join_path(base_path, "/completion"), std::move(*body)};
}

}  // namespace sy::engines
