#include "engines/openai_adapter.hpp"

namespace sy::engines {

namespace {

// Finds the member key `"<tail>` where `tail` is the key's text after its opening quote (e.g.
// `content":`), from `from`. Searching for the tail rather than for `"content"` matters on the
// relay's hot path: std::string_view::find jumps between occurrences of the needle's first byte
// with memchr, and a chunk has dozens of quotes but few 'c's or 'u's. Tails end in `":`, which
// only a key can produce: inside a string a quote is escaped, and a value's closing quote is
// followed by `,` `}` `]` or space, never by a colon.
std::size_t find_key(std::string_view json, std::string_view tail, std::size_t from) noexcept {
  for (std::size_t pos = json.find(tail, from); pos != std::string_view::npos;
       pos = json.find(tail, pos + 1)) {
    if (pos > 0 && json[pos - 1] == '"') return pos - 1;
  }
  return std::string_view::npos;
}

// The string token that starts at `pos` (an opening quote), quotes included; "" when there is
// none or it does not end.
std::string_view string_token_at(std::string_view json, std::size_t pos) noexcept {
  if (pos >= json.size() || json[pos] != '"') return {};
  for (std::size_t i = pos + 1; i < json.size(); ++i) {
    if (json[i] == '\\') {
      ++i;
    } else if (json[i] == '"') {
      return json.substr(pos, i + 1 - pos);
    }
  }
  return {};
}

// The string value of the key whose tail starts at `key` (see find_key), or "".
std::string_view value_token_after(std::string_view json, std::size_t key,
                                   std::string_view tail) noexcept {
  std::size_t pos = key + 1 + tail.size();
  while (pos < json.size() && json[pos] == ' ') ++pos;
  return string_token_at(json, pos);
}

}  // namespace

std::string_view content_token(std::string_view json) noexcept {
  for (std::string_view tail : {std::string_view("content\":"), std::string_view("text\":")}) {
    std::size_t pos = 0;
    while ((pos = find_key(json, tail, pos)) != std::string_view::npos) {
      const std::string_view token = value_token_after(json, pos, tail);
      if (token.size() > 2) return token;
      pos += tail.size() + 1;
    }
  }
  return {};
}

std::string_view finish_reason_token(std::string_view json) noexcept {
  static constexpr std::string_view kTail = "finish_reason\":";
  const std::size_t pos = find_key(json, kTail, 0);
  return pos == std::string_view::npos ? std::string_view() : value_token_after(json, pos, kTail);
}

bool has_usage_member(std::string_view json) noexcept {
  return find_key(json, "usage\":", 0) != std::string_view::npos;
}

std::uint64_t scan_uint_member(std::string_view json, std::string_view name) noexcept {
  std::size_t pos = 0;
  while ((pos = json.find(name, pos)) != std::string_view::npos) {
    const bool quoted = pos > 0 && json[pos - 1] == '"' && pos + name.size() < json.size() &&
                        json[pos + name.size()] == '"';
    pos += name.size();
    if (!quoted) continue;
    ++pos;  // closing quote
    while (pos < json.size() && (json[pos] == ' ' || json[pos] == ':')) ++pos;
    std::uint64_t v = 0;
    bool any = false;
    while (pos < json.size() && json[pos] >= '0' && json[pos] <= '9') {
      v = v * 10 + static_cast<std::uint64_t>(json[pos] - '0');
      ++pos;
      any = true;
    }
    if (any) return v;
  }
  return 0;
}

bool is_error_object(std::string_view data) noexcept {
  std::size_t i = 0;
  while (i < data.size() && (data[i] == ' ' || data[i] == '\n')) ++i;
  return data.substr(i, 9) == "{\"error\":" || data.substr(i, 10) == "{\"error\" :";
}

namespace {

TokenUsage scan_usage(std::string_view json) noexcept {
  return TokenUsage{scan_uint_member(json, "prompt_tokens"),
                    scan_uint_member(json, "completion_tokens"), true};
}

}  // namespace

EngineEvent decode_openai_event(const sse::Event& event) noexcept {
  EngineEvent ev;
  ev.raw = event.data;
  ev.name = event.event;
  if (event.data == "[DONE]") {
    ev.end = true;
    return ev;
  }
  if (is_error_object(event.data)) {
    ev.status = EventStatus::EngineError;
    return ev;
  }
  ev.text = content_token(event.data);
  ev.finish_reason = finish_reason_token(event.data);
  if (has_usage_member(event.data)) ev.usage = scan_usage(event.data);
  return ev;
}

EngineAnswer decode_openai_answer(std::string_view body) noexcept {
  EngineAnswer answer;
  answer.raw = body;
  answer.text = content_token(body);
  answer.finish_reason = finish_reason_token(body);
  answer.usage = scan_usage(body);
  return answer;
}

}  // namespace sy::engines
