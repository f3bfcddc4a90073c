#pragma once
// The parts of an OpenAI-compatible completion request that Switchyard interprets, validated.
// Everything else in the body passes through to the engine untouched. Pure: no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace sy::api {

enum class CompletionKind : std::uint8_t { Chat, Text };  // /v1/chat/completions, /v1/completions

struct CompletionRequest {
  CompletionKind kind = CompletionKind::Chat;
  std::string model;
  bool stream = false;
  bool include_usage = false;                 // stream_options.include_usage
  std::optional<std::uint32_t> max_tokens;    // max_tokens or max_completion_tokens
  std::optional<std::string> priority;        // body field `priority` when it is a string
  std::uint32_t estimated_prompt_tokens = 0;  // ~4 characters per token, rounded up
  // The body to send upstream: the client's bytes, minus our own `priority` member.
  std::string upstream_body;
};

// Validates `body` (the raw request bytes). Errors: InvalidJson, InvalidParams (with `param`).
[[nodiscard]] Result<CompletionRequest> parse_completion_request(CompletionKind kind,
                                                                 std::string body);

}  // namespace sy::api
