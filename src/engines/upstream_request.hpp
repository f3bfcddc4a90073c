#pragma once
// Builds the HTTP request body and path sent to an engine for one client request. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "engines/engine_protocol.hpp"

namespace sy::engines {

// What the adapters need to know about a client's request: its kind, whether it streams, its
// token limit, and the body (validated JSON, minus Switchyard's own members).
struct GenerationRequest {
  bool chat = true;  // chat completion; false: text completion
  bool stream = false;
  std::optional<std::uint32_t> max_tokens;
  std::string_view body;
};

struct UpstreamRequest {
  std::string path;  // e.g. "/v1/chat/completions", prefixed with the endpoint's base path
  std::string body;
};

// Errors: InvalidParams when the request cannot be expressed in the engine's protocol.
[[nodiscard]] Result<UpstreamRequest> make_upstream_request(Protocol protocol,
                                                            const GenerationRequest& request,
                                                            std::string_view base_path);

}  // namespace sy::engines
