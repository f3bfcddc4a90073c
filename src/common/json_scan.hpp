#pragma once
// Exact JSON text handling for bodies Switchyard forwards: a validator that accepts every JSON
// text RFC 8259 allows (numbers of any size and precision included), and a splitter that hands
// out the top-level members of an object as spans of the original bytes, so a member Switchyard
// does not interpret reaches the engine byte for byte.
//
// Why not simdjson's DOM: it refuses valid numbers it cannot represent (18446744073709551616,
// 1e309) and re-prints the numbers it keeps, so neither validation nor pass-through would be exact.
// simdjson's On-Demand API is still used to read the few fields Switchyard interprets.
//
// Pure: no I/O, no allocation except the returned vectors/strings. Safe on any thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sy::json {

// Arrays and objects nested deeper than this are refused (a stack bound, as every parser has).
inline constexpr std::size_t kMaxDepth = 512;

enum class ScanStatus : unsigned char {
  Ok,
  InvalidUtf8,  // the text is not UTF-8
  Syntax,       // not a JSON text (RFC 8259 grammar)
  TooDeep,      // nesting beyond kMaxDepth
};

struct ScanResult {
  ScanStatus status = ScanStatus::Ok;
  std::size_t offset = 0;  // where the problem was found (bytes from the start)
  [[nodiscard]] bool ok() const noexcept { return status == ScanStatus::Ok; }
};

// Validates `text` as one JSON text (a value with optional surrounding whitespace).
[[nodiscard]] ScanResult validate(std::string_view text) noexcept;

struct Member {
  std::string_view raw_key;  // the key token with its quotes, as written
  std::string key;           // the key unescaped
  std::string_view value;    // the value token(s), as written, without surrounding whitespace
  std::size_t begin = 0;     // offset of the key's opening quote
  std::size_t end = 0;       // offset just past the value
};

// A top-level member as spans of the original bytes (no unescaping, no allocation).
struct RawMember {
  std::string_view raw_key;  // the key token with its quotes, as written
  std::string_view value;    // the value token(s), as written, without surrounding whitespace
  std::size_t begin = 0;     // offset of the key's opening quote
  std::size_t end = 0;       // offset just past the value
};

// Walks the members of the top-level object of `text` in document order without allocating:
// what an engine adapter uses on every event. `text` must have passed validate() and be an
// object; otherwise the walk stops early (next() returns false).
class MemberCursor {
 public:
  explicit MemberCursor(std::string_view text) noexcept;
  [[nodiscard]] bool next(RawMember& out) noexcept;

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  bool open_ = false;
};

// True when the key token `raw_key` is `"name"` written without escapes.
[[nodiscard]] bool key_is(std::string_view raw_key, std::string_view name) noexcept;

// The value of an unsigned integer token (digits only), or nullopt for anything else, one too
// large for 64 bits included.
[[nodiscard]] std::optional<std::uint64_t> uint_token(std::string_view value) noexcept;

// The members of the top-level object of `text`, in document order. `text` must have passed
// validate() and be an object; otherwise the result is empty or stops early.
[[nodiscard]] std::vector<Member> top_level_members(std::string_view text);

// `text` with the member `members[index]` (from top_level_members(text)) removed together with
// one adjoining comma, so the result stays a valid object.
[[nodiscard]] std::string without_member(std::string_view text, const std::vector<Member>& members,
                                         std::size_t index);

}  // namespace sy::json
