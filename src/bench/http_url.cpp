#include "bench/http_url.hpp"

namespace sy::bench {

std::string HttpUrl::host_header() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string out = v6 ? "[" + host + "]" : host;
  if (port != "80") out += ":" + port;
  return out;
}

Result<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return fail(ErrorCode::InvalidParams, "only http:// URLs are supported: " + std::string(url));
  }
  url.remove_prefix(kScheme.size());
  HttpUrl out;
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
  std::string_view port = "80";
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(ErrorCode::InvalidParams, "bad IPv6 host");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail(ErrorCode::InvalidParams, "bad host:port");
      port = rest.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return fail(ErrorCode::InvalidParams, "URL has no host");
  if (port.empty() || port.size() > 5) return fail(ErrorCode::InvalidParams, "bad port");
  for (char c : port) {
    if (c < '0' || c > '9') return fail(ErrorCode::InvalidParams, "bad port");
  }
  out.port = std::string(port);
  return out;
}

}  // namespace sy::bench
