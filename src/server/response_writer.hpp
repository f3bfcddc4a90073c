#pragma once
// Writing responses to a client socket. Headers are formatted by hand into a reused string
// (cheaper than Beast's serializer and allocation-free once warm); bodies are written with
// gather writes. Streaming responses use chunked transfer encoding, one chunk per write.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace sy::server {

using HeaderList = std::vector<std::pair<std::string_view, std::string>>;

[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

// Writes a complete response with Content-Length. Returns false when the write failed.
[[nodiscard]] boost::asio::awaitable<bool> write_response(boost::asio::ip::tcp::socket& socket,
                                                          int status, std::string_view content_type,
                                                          std::string_view body,
                                                          std::string_view correlation_id,
                                                          bool keep_alive,
                                                          const HeaderList* extra = nullptr);

// Writes an OpenAI error envelope with the status of `error.code`; 429/503 get Retry-After and
// X-Backoff-Ms from error.retry_after_ms.
[[nodiscard]] boost::asio::awaitable<bool> write_error(boost::asio::ip::tcp::socket& socket,
                                                       const Error& error,
                                                       std::string_view correlation_id,
                                                       bool keep_alive);

// Starts a 200 text/event-stream response with chunked encoding.
[[nodiscard]] boost::asio::awaitable<bool> write_sse_head(boost::asio::ip::tcp::socket& socket,
                                                          std::string_view correlation_id,
                                                          bool keep_alive);
// Writes `payload` as one HTTP chunk (no-op for an empty payload).
[[nodiscard]] boost::asio::awaitable<bool> write_chunk(boost::asio::ip::tcp::socket& socket,
                                                       std::string_view payload);
// Writes `payload` (if any) as a chunk followed by the terminating zero-length chunk.
[[nodiscard]] boost::asio::awaitable<bool> write_last_chunk(boost::asio::ip::tcp::socket& socket,
                                                            std::string_view payload);

}  // namespace sy::server
