#pragma once
// The answers route handlers write: a whole response, and a native-API error. Each counts the
// request under its route and status, and tells whether the connection may serve another request.

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "common/error.hpp"
#include "http/request_context.hpp"

namespace sy::http {

[[nodiscard]] boost::asio::awaitable<bool> answer(RequestContext& rc, int status,
                                                  std::string_view content_type,
                                                  std::string_view body);
// An error in the native API's envelope (tasks/error_envelope.hpp), with its status (429/503:
// Retry-After and X-Backoff-Ms).
[[nodiscard]] boost::asio::awaitable<bool> answer_native_error(RequestContext& rc,
                                                               const Error& error);

}  // namespace sy::http
