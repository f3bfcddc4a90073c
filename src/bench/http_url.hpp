#pragma once
// Parsing of the plain-HTTP URLs bench accepts. Pure.

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace sy::bench {

struct HttpUrl {
  std::string host;                               // without brackets for IPv6 literals
  std::string port;                               // "80" when the URL names none
  std::string path;                               // "" when the URL has none
  [[nodiscard]] std::string host_header() const;  // host[:port] as sent in Host
};

// Accepts http://host[:port][/path]; https and other schemes are InvalidParams errors.
[[nodiscard]] Result<HttpUrl> parse_http_url(std::string_view url);

}  // namespace sy::bench
