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

namespace sy::http {

using HeaderList = std::vector<std::pair<std::string_view, std::string>>;

// How the client's connection takes a response, decided from its request head.
struct ReplyMode {
  ReplyMode() = default;
  // Implicit: most error paths only know whether the connection stays open.
  ReplyMode(bool keep) : keep_alive(keep) {}  // NOLINT(google-explicit-constructor)
  ReplyMode(bool keep, bool http10_peer, bool head)
      : keep_alive(keep), http10(http10_peer), head_only(head) {}

  bool keep_alive = true;
  bool http10 = false;     // an HTTP/1.0 peer: keep-alive must be announced; no chunked encoding
  bool head_only = false;  // a HEAD request: the headers (Content-Length included), no body
};

[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

// What a write did.
struct WriteResult {
  bool ok = false;      // everything was written
  bool waited = false;  // the write had to wait for the peer (the coroutine suspended)
};

// Writes a complete response with Content-Length. Returns false when the write failed.
[[nodiscard]] boost::asio::awaitable<bool> write_response(boost::asio::ip::tcp::socket& socket,
                                                          int status, std::string_view content_type,
                                                          std::string_view body,
                                                          std::string_view correlation_id,
                                                          ReplyMode mode,
                                                          const HeaderList* extra = nullptr);

// Writes an OpenAI error envelope with the status of `error.code`; 429/503 get Retry-After and
// X-Backoff-Ms from error.retry_after_ms.
[[nodiscard]] boost::asio::awaitable<bool> write_error(boost::asio::ip::tcp::socket& socket,
                                                       const Error& error,
                                                       std::string_view correlation_id,
                                                       ReplyMode mode,
                                                       const HeaderList* extra = nullptr);

// Starts a 200 text/event-stream response: chunked for HTTP/1.1; for an HTTP/1.0 peer the body
// is written as is and ends when the connection closes (mode.keep_alive must be false then).
[[nodiscard]] boost::asio::awaitable<bool> write_sse_head(boost::asio::ip::tcp::socket& socket,
                                                          std::string_view correlation_id,
                                                          ReplyMode mode);
// Writes `payload` as one HTTP chunk (as is when !chunked); no-op for an empty payload. It is
// written at once when the socket takes it, and only waits for what does not fit, of which it
// keeps its own copy: the caller's buffer is free again when the call returns or first waits.
[[nodiscard]] boost::asio::awaitable<WriteResult> write_chunk(boost::asio::ip::tcp::socket& socket,
                                                              std::string_view payload,
                                                              bool chunked = true);
// Writes `payload` (if any) as a chunk followed by the terminating zero-length chunk (just the
// payload when !chunked).
[[nodiscard]] boost::asio::awaitable<bool> write_last_chunk(boost::asio::ip::tcp::socket& socket,
                                                            std::string_view payload,
                                                            bool chunked = true);

}  // namespace sy::http
