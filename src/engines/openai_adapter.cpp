#include "engines/openai_adapter.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sy::engines {

namespace {

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

// Calls on_colon(i) for every ':' in json, in order. A chunk has a dozen colons among ~200
// bytes, so this compares 16 bytes at a time (SSE2, on every x86-64) rather than one.
template <typename OnColon>
void for_each_colon(std::string_view json, OnColon&& on_colon) {
  const char* const p = json.data();
  const std::size_t n = json.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i colon = _mm_set1_epi8(':');
  for (; i + 16 <= n; i += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    auto hits = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, colon)));
    while (hits != 0) {
      on_colon(i + static_cast<std::size_t>(__builtin_ctz(hits)));
      hits &= hits - 1;
    }
  }
#endif
  for (; i < n; ++i) {
    if (p[i] == ':') on_colon(i);
  }
}

// True when the colon at `colon` closes the member key `name`: `"name":`, the opening quote not
// escaped. Only a key ends in `":`: inside a string a quote is escaped (`\"`), so the byte before
// it would be a backslash, which ends none of the names looked for.
bool closes_key(std::string_view json, std::size_t colon, std::string_view name) noexcept {
  const std::size_t len = name.size();
  if (colon < len + 2) return false;
  const std::size_t open = colon - len - 2;
  return json[colon - 1] == '"' && json[open] == '"' && (open == 0 || json[open - 1] != '\\') &&
         json.compare(open + 1, len, name) == 0;
}

// The value token after the colon at `colon` (spaces skipped) when it is a string, else "".
std::string_view string_value_after(std::string_view json, std::size_t colon) noexcept {
  std::size_t pos = colon + 1;
  while (pos < json.size() && json[pos] == ' ') ++pos;
  return string_token_at(json, pos);
}

// What the relay reads in one chunk, found in one pass over its keys.
struct ChunkMembers {
  std::string_view content;  // the first non-empty `content` string
  std::string_view text;     // the first non-empty `text` string
  std::string_view finish_reason;
  bool finish_reason_seen = false;
  bool usage = false;
};

ChunkMembers scan_members(std::string_view json) noexcept {
  ChunkMembers m;
  for_each_colon(json, [&](std::size_t colon) {
    if (colon < 2 || json[colon - 1] != '"') return;
    // Tell the names apart by the last letter before the quote, then compare.
    switch (json[colon - 2]) {
      case 't':
        if (m.content.empty() && closes_key(json, colon, "content")) {
          const std::string_view token = string_value_after(json, colon);
          if (token.size() > 2) m.content = token;
        } else if (m.text.empty() && closes_key(json, colon, "text")) {
          const std::string_view token = string_value_after(json, colon);
          if (token.size() > 2) m.text = token;
        }
        break;
      case 'n':
        if (!m.finish_reason_seen && closes_key(json, colon, "finish_reason")) {
          m.finish_reason_seen = true;
          m.finish_reason = string_value_after(json, colon);
        }
        break;
      case 'e':
        if (closes_key(json, colon, "usage")) m.usage = true;
        break;
      default:
        break;
    }
  });
  return m;
}

}  // namespace

std::string_view content_token(std::string_view json) noexcept {
  const ChunkMembers m = scan_members(json);
  return m.content.empty() ? m.text : m.content;
}

std::string_view finish_reason_token(std::string_view json) noexcept {
  return scan_members(json).finish_reason;
}

bool has_usage_member(std::string_view json) noexcept { return scan_members(json).usage; }

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
  const ChunkMembers m = scan_members(event.data);
  ev.text = m.content.empty() ? m.text : m.content;
  ev.finish_reason = m.finish_reason;
  if (m.usage) ev.usage = scan_usage(event.data);
  return ev;
}

EngineAnswer decode_openai_answer(std::string_view body) noexcept {
  EngineAnswer answer;
  answer.raw = body;
  const ChunkMembers m = scan_members(body);
  answer.text = m.content.empty() ? m.text : m.content;
  answer.finish_reason = m.finish_reason;
  answer.usage = scan_usage(body);
  return answer;
}

}  // namespace sy::engines
