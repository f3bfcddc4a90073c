#include "bench/response_head.hpp"

#include <cctype>

namespace sy::bench {
namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool icontains(std::string_view haystack, std::string_view needle) noexcept {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (iequals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::size_t find_head_end(std::string_view bytes) noexcept {
  const auto pos = bytes.find("\r\n\r\n");
  return pos == std::string_view::npos ? 0 : pos + 4;
}

bool parse_response_head(std::string_view head, ResponseHead& out) noexcept {
  out = ResponseHead{};
  auto line_end = head.find("\r\n");
  if (line_end == std::string_view::npos) return false;
  const std::string_view status_line = head.substr(0, line_end);
  // HTTP/1.x SP 3DIGIT SP reason
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
    return false;
  }
  const bool http10 = status_line[7] == '0';
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    const char c = status_line[i];
    if (c < '0' || c > '9') return false;
    status = status * 10 + (c - '0');
  }
  out.status = status;
  bool keep_alive_10 = false;

  std::string_view rest = head.substr(line_end + 2);
  while (!rest.empty()) {
    line_end = rest.find("\r\n");
    if (line_end == std::string_view::npos) break;
    const std::string_view line = rest.substr(0, line_end);
    rest.remove_prefix(line_end + 2);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::uint64_t n = 0;
      if (value.empty() || value.size() > 18) return false;
      for (char c : value) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
      }
      out.has_length = true;
      out.content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      out.chunked = icontains(value, "chunked");
    } else if (iequals(name, "connection")) {
      if (icontains(value, "close")) out.close = true;
      if (icontains(value, "keep-alive")) keep_alive_10 = true;
    }
  }
  if (http10 && !keep_alive_10) out.close = true;
  return true;
}

}  // namespace sy::bench
