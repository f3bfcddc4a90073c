#pragma once
// Serves POST /v1/chat/completions and /v1/completions: validate, admit (queue), place, call
// the engine, relay its answer. Runs on the connection's I/O thread.

#include <boost/asio/awaitable.hpp>
#include <string>

#include "api/completion_request.hpp"
#include "server/request_context.hpp"

namespace sy::server {

// `body` is consumed (moved from). Returns true when the connection may serve another request (the
// response ended cleanly and keep-alive holds).
[[nodiscard]] boost::asio::awaitable<bool> handle_completion(RequestContext& rc,
                                                             api::CompletionKind kind,
                                                             std::string& body);

}  // namespace sy::server
