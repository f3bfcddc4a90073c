#include "config/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace sy::config {
namespace {

struct HostPort {
  std::string_view host;
  std::string_view port;  // digits as written; empty when absent
  bool has_port = false;
};

// Splits an authority into host and port. Returns the reason on failure.
Result<HostPort> split_host_port(std::string_view s) {
  HostPort hp;
  if (s.empty()) return fail(ErrorCode::InvalidParams, "it is empty");
  std::string_view after_host;
  if (s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos) {
      return fail(ErrorCode::InvalidParams, "missing ']' after the IPv6 address");
    }
    hp.host = s.substr(1, close - 1);
    after_host = s.substr(close + 1);
    if (!after_host.empty() && after_host.front() != ':') {
      return fail(ErrorCode::InvalidParams, "expected ':port' after ']'");
    }
  } else {
    const auto colon = s.rfind(':');
    hp.host = s.substr(0, colon);
    if (colon != std::string_view::npos) after_host = s.substr(colon);
    if (hp.host.find(':') != std::string_view::npos) {
      return fail(ErrorCode::InvalidParams, "an IPv6 address must be in brackets, e.g. [::1]:8080");
    }
  }
  if (hp.host.empty()) return fail(ErrorCode::InvalidParams, "the host is empty");
  const bool bad_host_char = std::any_of(hp.host.begin(), hp.host.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return u <= 0x20 || u == 0x7f || ch == '/' || ch == '@' || ch == '?' || ch == '#' ||
           ch == '[' || ch == ']';
  });
  if (bad_host_char) return fail(ErrorCode::InvalidParams, "the host contains invalid characters");
  if (!after_host.empty()) {
    hp.has_port = true;
    hp.port = after_host.substr(1);
  }
  return hp;
}

// Parses decimal digits 0-65535.
Result<std::uint16_t> parse_port(std::string_view digits) {
  const bool all_digits =
      !digits.empty() && digits.size() <= 5 &&
      std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  std::uint32_t value = 0;
  if (all_digits) {
    for (const char ch : digits) value = value * 10 + static_cast<std::uint32_t>(ch - '0');
  }
  if (!all_digits || value > 65535) {
    return fail(ErrorCode::InvalidParams, "the port must be a number from 0 to 65535");
  }
  return static_cast<std::uint16_t>(value);
}

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

Result<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view s) {
  auto bad = [s](std::string_view reason) {
    return fail(ErrorCode::InvalidParams,
                "invalid host:port '" + std::string(s) + "': " + std::string(reason));
  };
  auto hp = split_host_port(s);
  if (!hp) return bad(hp.error().message);
  if (!hp->has_port) return bad("missing ':port'");
  auto port = parse_port(hp->port);
  if (!port) return bad(port.error().message);
  return std::pair<std::string, std::uint16_t>{std::string(hp->host), *port};
}

Result<Endpoint> parse_endpoint_url(std::string_view url) {
  auto bad = [url](std::string_view reason) {
    return fail(ErrorCode::InvalidParams,
                "invalid endpoint URL '" + std::string(url) + "': " + std::string(reason));
  };
  constexpr std::string_view kHttp = "http://";
  if (starts_with_ignoring_case(url, "https://")) {
    return fail(ErrorCode::InvalidParams,
                "https endpoints are not supported yet (got '" + std::string(url) + "')");
  }
  if (!starts_with_ignoring_case(url, kHttp)) return bad("it must start with http://");
  const std::string_view rest = url.substr(kHttp.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad("queries and fragments are not allowed");
  }
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return bad("user info is not allowed");

  auto hp = split_host_port(authority);
  if (!hp) return bad(hp.error().message);
  std::uint16_t port = 80;
  if (hp->has_port) {
    auto parsed = parse_port(hp->port);
    if (!parsed || *parsed == 0) return bad("the port must be a number from 1 to 65535");
    port = *parsed;
  }
  const bool bad_path_char = std::any_of(path.begin(), path.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return u <= 0x20 || u == 0x7f;
  });
  if (bad_path_char) return bad("the path contains spaces or control characters");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);

  return Endpoint{std::string(url), std::string(hp->host), port, std::string(path)};
}

Result<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text) {
  auto hp = parse_host_port(text);
  if (!hp) return hp;
  if (hp->first == "localhost") {
    hp->first = "127.0.0.1";
    return hp;
  }
  unsigned char scratch[16];
  if (inet_pton(AF_INET, hp->first.c_str(), scratch) == 1 ||
      inet_pton(AF_INET6, hp->first.c_str(), scratch) == 1) {
    return hp;
  }
  return fail(ErrorCode::InvalidParams, "'" + hp->first +
                                            "' is not an IP address; listen on an address such as "
                                            "127.0.0.1, 0.0.0.0 or [::]");
}

}  // namespace sy::config
