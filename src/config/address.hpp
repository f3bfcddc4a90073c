#pragma once
// Parsing of the two address forms the configuration uses: a listen address "host:port" and an
// engine endpoint URL "http://host[:port][/base]".
//
// Pure functions, no I/O and no name resolution; safe from any thread. Errors are
// ErrorCode::InvalidParams with a message naming the offending text (no file position: the config
// loader adds that).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.hpp"

namespace sy::config {

// An engine endpoint parsed from "http://host[:port][/base]".
struct Endpoint {
  std::string url;         // the URL as written in the configuration
  std::string host;        // name or address; an IPv6 address without its brackets ("::1")
  std::uint16_t port = 0;  // 80 when the URL has no port
  std::string base_path;   // "/v1" for ".../v1/" (no trailing '/'); "" when there is no path
};

// Parses "host:port": "127.0.0.1:8080", "[::1]:8080" (host "::1"), "localhost:0". The port is
// required, decimal, 0-65535 (0 = any free port). An IPv6 host must be bracketed. The host is
// returned without brackets.
[[nodiscard]] sy::Result<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view);

// Parses a listen address: parse_host_port, then the host must be an IPv4 or IPv6 address
// ("localhost" is taken as 127.0.0.1); other names are refused, since a listener binds an address.
[[nodiscard]] sy::Result<std::pair<std::string, std::uint16_t>> parse_listen_address(
    std::string_view);

// Parses an engine URL. Only http:// is accepted ("https endpoints are not supported yet"); the
// port, when given, must be 1-65535; user info, queries and fragments are refused.
[[nodiscard]] sy::Result<Endpoint> parse_endpoint_url(std::string_view url);

}  // namespace sy::config
