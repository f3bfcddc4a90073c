#include "common/json_scan.hpp"

#include <simdjson.h>

#include <array>
#include <cstdint>

namespace sy::json {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;

bool is_ws(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::size_t skip_ws(std::string_view t, std::size_t p) noexcept {
  while (p < t.size() && is_ws(t[p])) ++p;
  return p;
}

// `p` at the opening quote; returns the offset past the closing quote, or kNpos (with `p` moved
// to the offending byte) when the string is malformed. UTF-8 was checked beforehand.
std::size_t scan_string(std::string_view t, std::size_t& p) noexcept {
  std::size_t i = p + 1;
  while (i < t.size()) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (c == '"') return i + 1;
    if (c < 0x20) break;  // control characters must be escaped
    if (c != '\\') {
      ++i;
      continue;
    }
    if (i + 1 >= t.size()) break;
    const char e = t[i + 1];
    if (e == 'u') {
      if (i + 5 >= t.size()) break;
      bool hex = true;
      for (std::size_t k = i + 2; k < i + 6; ++k) hex = hex && hex_value(t[k]) >= 0;
      if (!hex) break;
      i += 6;
      continue;
    }
    if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
        e != 't') {
      break;
    }
    i += 2;
  }
  p = i;
  return kNpos;
}

// RFC 8259 number: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)? — of any length.
std::size_t scan_number(std::string_view t, std::size_t& p) noexcept {
  std::size_t i = p;
  auto fail = [&] {
    p = i;
    return kNpos;
  };
  auto digits = [&] {
    const std::size_t start = i;
    while (i < t.size() && is_digit(t[i])) ++i;
    return i > start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i >= t.size()) return fail();
  if (t[i] == '0') {
    ++i;
  } else if (!is_digit(t[i]) || !digits()) {
    return fail();
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digits()) return fail();
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return fail();
  }
  return i;
}

std::size_t scan_literal(std::string_view t, std::size_t& p) noexcept {
  for (const std::string_view word :
       {std::string_view("true"), std::string_view("false"), std::string_view("null")}) {
    if (t.substr(p, word.size()) == word) return p + word.size();
  }
  return kNpos;
}

// A scalar at `p` (string, number, literal); kNpos when there is none.
std::size_t scan_scalar(std::string_view t, std::size_t& p) noexcept {
  const char c = t[p];
  if (c == '"') return scan_string(t, p);
  if (c == '-' || is_digit(c)) return scan_number(t, p);
  return scan_literal(t, p);
}

// Skips one value of a text known to be valid; returns the offset past it.
std::size_t skip_value(std::string_view t, std::size_t p) noexcept {
  if (t[p] != '{' && t[p] != '[') {
    std::size_t q = p;
    const std::size_t end = scan_scalar(t, q);
    return end == kNpos ? t.size() : end;
  }
  std::size_t depth = 0;
  while (p < t.size()) {
    const char c = t[p];
    if (c == '"') {
      std::size_t q = p;
      const std::size_t end = scan_string(t, q);
      if (end == kNpos) return t.size();
      p = end;
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') {
      if (--depth == 0) return p + 1;
    }
    ++p;
  }
  return t.size();
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::uint32_t hex4(std::string_view s) noexcept {
  std::uint32_t v = 0;
  for (const char c : s.substr(0, 4)) v = v * 16 + static_cast<std::uint32_t>(hex_value(c));
  return v;
}

// The contents of a valid string token (quotes included) with escapes resolved. A lone
// surrogate escape is kept as its 3-byte encoding: it never equals a key Switchyard reads.
std::string unescape(std::string_view token) {
  std::string out;
  const std::string_view s = token.substr(1, token.size() - 2);
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    const char e = s[++i];
    switch (e) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        std::uint32_t cp = hex4(s.substr(i + 1));
        i += 4;
        const bool high = cp >= 0xD800 && cp < 0xDC00;
        if (high && i + 6 < s.size() && s.substr(i + 1, 2) == "\\u") {
          const std::uint32_t low = hex4(s.substr(i + 3));
          if (low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        append_utf8(out, cp);
        break;
      }
      default:
        out += e;
        break;  // \" \\ \/
    }
  }
  return out;
}

// A key and its colon at `p`, moving `p` to the value after them; false (with `p` at the
// offending byte) when they are not there.
bool scan_key(std::string_view t, std::size_t& p) noexcept {
  if (p >= t.size() || t[p] != '"') return false;
  const std::size_t end = scan_string(t, p);
  if (end == kNpos) return false;
  p = skip_ws(t, end);
  if (p >= t.size() || t[p] != ':') return false;
  p = skip_ws(t, p + 1);
  return true;
}

}  // namespace

ScanResult validate(std::string_view t) noexcept {
  if (!simdjson::validate_utf8(t.data(), t.size())) return {ScanStatus::InvalidUtf8, 0};
  // One flag per open container: true for an object. A value is expected at `p` while
  // `want_value` is set; otherwise a separator or a closing bracket is.
  std::array<bool, kMaxDepth> in_object{};
  std::size_t depth = 0;
  std::size_t p = skip_ws(t, 0);
  bool want_value = true;
  for (;;) {
    if (want_value) {
      if (p >= t.size()) return {ScanStatus::Syntax, p};
      const char c = t[p];
      if (c == '{' || c == '[') {
        if (depth == kMaxDepth) return {ScanStatus::TooDeep, p};
        in_object[depth++] = c == '{';
        p = skip_ws(t, p + 1);
        if (p < t.size() && t[p] == (c == '{' ? '}' : ']')) {
          --depth;
          p = skip_ws(t, p + 1);
          want_value = false;
          continue;
        }
        if (c == '[') continue;                               // want_value stays: the first element
        if (!scan_key(t, p)) return {ScanStatus::Syntax, p};  // the object's first key
        continue;
      }
      const std::size_t end = scan_scalar(t, p);
      if (end == kNpos) return {ScanStatus::Syntax, p};
      p = skip_ws(t, end);
      want_value = false;
      continue;
    }
    if (depth == 0) {
      if (p != t.size()) return {ScanStatus::Syntax, p};
      return {};
    }
    if (p >= t.size()) return {ScanStatus::Syntax, p};
    const bool object = in_object[depth - 1];
    const char c = t[p];
    if (c == (object ? '}' : ']')) {
      --depth;
      p = skip_ws(t, p + 1);
      continue;
    }
    if (c != ',') return {ScanStatus::Syntax, p};
    p = skip_ws(t, p + 1);
    want_value = true;
    if (object && !scan_key(t, p)) return {ScanStatus::Syntax, p};
  }
}

MemberCursor::MemberCursor(std::string_view text) noexcept : text_(text) {
  pos_ = skip_ws(text_, 0);
  open_ = pos_ < text_.size() && text_[pos_] == '{';
  if (open_) pos_ = skip_ws(text_, pos_ + 1);
}

bool MemberCursor::next(RawMember& out) noexcept {
  const std::string_view t = text_;
  std::size_t p = pos_;
  if (!open_ || p >= t.size() || t[p] != '"') return open_ = false;
  out.begin = p;
  const std::size_t key_end = scan_string(t, p);
  if (key_end == kNpos) return open_ = false;
  out.raw_key = t.substr(out.begin, key_end - out.begin);
  p = skip_ws(t, key_end);
  if (p >= t.size() || t[p] != ':') return open_ = false;
  p = skip_ws(t, p + 1);
  if (p >= t.size()) return open_ = false;
  const std::size_t value_end = skip_value(t, p);
  out.value = t.substr(p, value_end - p);
  out.end = value_end;
  p = skip_ws(t, value_end);
  if (p < t.size() && t[p] == ',') p = skip_ws(t, p + 1);
  pos_ = p;
  return true;
}

bool key_is(std::string_view raw_key, std::string_view name) noexcept {
  return raw_key.size() == name.size() + 2 && raw_key.substr(1, name.size()) == name;
}

std::optional<std::uint64_t> uint_token(std::string_view value) noexcept {
  if (value.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : value) {
    if (!is_digit(c)) return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

std::vector<Member> top_level_members(std::string_view t) {
  std::vector<Member> members;
  MemberCursor cursor(t);
  RawMember raw;
  while (cursor.next(raw)) {
    members.push_back(Member{raw.raw_key, unescape(raw.raw_key), raw.value, raw.begin, raw.end});
  }
  return members;
}

std::string without_member(std::string_view t, const std::vector<Member>& members,
                           std::size_t index) {
  std::string out(t);
  if (index >= members.size()) return out;
  // Drop the member with the comma after it, or, for the last member, the comma before it.
  std::size_t begin = members[index].begin;
  std::size_t end = members[index].end;
  if (index + 1 < members.size()) {
    end = members[index + 1].begin;
  } else if (index > 0) {
    begin = members[index - 1].end;
  }
  out.erase(begin, end - begin);
  return out;
}

}  // namespace sy::json
