#pragma once
// Parsing of an HTTP/1.1 response head (status line and the headers bench needs). Pure.

#include <cstdint>
#include <string_view>

namespace sy::bench {

struct ResponseHead {
  int status = 0;
  bool chunked = false;     // Transfer-Encoding: chunked
  bool has_length = false;  // Content-Length present
  std::uint64_t content_length = 0;
  bool close = false;  // the server will close after this response
};

// Returns the length of the head including its terminating blank line, or 0 while `bytes` does
// not contain one yet.
[[nodiscard]] std::size_t find_head_end(std::string_view bytes) noexcept;

// Parses `head` (as delimited by find_head_end). Returns false when it is not a valid response
// head.
[[nodiscard]] bool parse_response_head(std::string_view head, ResponseHead& out) noexcept;

}  // namespace sy::bench
