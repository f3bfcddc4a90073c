#include "bench/data_event.hpp"

namespace sy::bench {
namespace {

std::string_view skip_ws(std::string_view s) noexcept {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  return s;
}

// -1: key absent; 0: present but not a non-empty string; 1: a non-empty string.
int string_value_state(std::string_view data, std::string_view quoted_key) noexcept {
  const auto pos = data.find(quoted_key);
  if (pos == std::string_view::npos) return -1;
  std::string_view rest = skip_ws(data.substr(pos + quoted_key.size()));
  if (rest.empty() || rest.front() != ':') return 0;
  rest = skip_ws(rest.substr(1));
  return rest.size() >= 2 && rest[0] == '"' && rest[1] != '"' ? 1 : 0;
}

}  // namespace

DataEventKind classify_data_event(std::string_view data, bool llama_native) noexcept {
  DataEventKind kind;
  std::string_view body = skip_ws(data);
  if (body == "[DONE]") {
    kind.done = true;
    return kind;
  }
  if (body.empty() || body.front() != '{') return kind;
  std::string_view first_key = skip_ws(body.substr(1));
  if (first_key.substr(0, 7) == "\"error\"") {
    kind.error = true;
    return kind;
  }
  int content = string_value_state(body, "\"content\"");
  if (content < 0) content = string_value_state(body, "\"text\"");
  kind.token = content > 0;
  if (llama_native) {
    const auto stop = body.find("\"stop\"");
    if (stop != std::string_view::npos) {
      std::string_view rest = skip_ws(body.substr(stop + 6));
      if (!rest.empty() && rest.front() == ':') {
        kind.done = skip_ws(rest.substr(1)).substr(0, 4) == "true";
      }
    }
  }
  return kind;
}

}  // namespace sy::bench
