#pragma once
// Where the client's API meets the engine adapters: what an adapter is told about a request, and
// the shape of the stream the client expects. Pure.

#include "api/completion_request.hpp"
#include "engines/engine_event.hpp"
#include "engines/upstream_request.hpp"

namespace sy::relay {

// A view of `request`; valid while `request` lives.
[[nodiscard]] inline engines::GenerationRequest generation_request(
    const api::CompletionRequest& request) noexcept {
  return engines::GenerationRequest{request.kind == api::CompletionKind::Chat, request.stream,
                                    request.max_tokens, request.upstream_body};
}

// The shape of the events (or the answer) an OpenAI client of `request` expects.
[[nodiscard]] inline engines::WireShape client_shape(
    const api::CompletionRequest& request) noexcept {
  return request.kind == api::CompletionKind::Chat ? engines::WireShape::OpenAIChat
                                                   : engines::WireShape::OpenAICompletions;
}

}  // namespace sy::relay
