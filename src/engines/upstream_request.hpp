#pragma once
// Builds the HTTP request body and path sent to an engine for one client request. Pure.

#include <string>
#include <string_view>

#include "api/completion_request.hpp"
#include "common/error.hpp"
#include "engines/engine_protocol.hpp"

namespace sy::engines {

struct UpstreamRequest {
  std::string path;  // e.g. "/v1/chat/completions", prefixed with the endpoint's base path
  std::string body;
};

// Errors: InvalidParams when the request cannot be expressed in the engine's protocol.
[[nodiscard]] Result<UpstreamRequest> make_upstream_request(Protocol protocol,
                                                            const api::CompletionRequest& request,
                                                            std::string_view base_path);

}  // namespace sy::engines
