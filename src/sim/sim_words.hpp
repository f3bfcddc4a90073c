#pragma once
// The simulator's deterministic token text. Token i (0-based) of a request with seed s is
// kSimWords[(s + i) mod 16], the modulo taken non-negatively (as Python's % does), so tests in any
// language can reproduce a response exactly. docs/sim.md lists the words.
// Pure; usable from any thread.

#include <array>
#include <cstdint>
#include <string_view>

namespace sy::sim {

// Every word ends with a space; several are multi-byte UTF-8 (2, 3 and 4 byte sequences). None
// contains a character JSON must escape, so they are copied into JSON strings verbatim.
inline constexpr std::array<std::string_view, 16> kSimWords = {
    "alpha ",                     // 0
    "beta ",                      // 1
    "gamma ",                     // 2
    "delta ",                     // 3
    "h\xC3\xA9llo ",              // 4: héllo
    "w\xC3\xB6rld ",              // 5: wörld
    "\xE6\x97\xA5\xE6\x9C\xAC ",  // 6: 日本
    "\xE8\xAA\x9E ",              // 7: 語
    "\xF0\x9F\x9A\x80 ",          // 8: 🚀 (U+1F680)
    "epsilon ",                   // 9
    "zeta ",                      // 10
    "eta ",                       // 11
    "theta ",                     // 12
    "\xC3\xAFota ",               // 13: ïota
    "kappa ",                     // 14
    "\xCE\xBB ",                  // 15: λ
};

[[nodiscard]] constexpr std::string_view sim_token_text(std::int64_t seed,
                                                        std::int64_t index) noexcept {
  constexpr auto kCount = static_cast<std::int64_t>(kSimWords.size());
  std::int64_t slot = (seed % kCount + index % kCount) % kCount;
  if (slot < 0) slot += kCount;
  return kSimWords[static_cast<std::size_t>(slot)];
}

namespace detail {
constexpr bool words_need_no_json_escaping() {
  for (std::string_view word : kSimWords) {
    for (char c : word) {
      if (c == '"' || c == '\\' || (static_cast<unsigned char>(c) < 0x20)) return false;
    }
  }
  return true;
}
}  // namespace detail
static_assert(detail::words_need_no_json_escaping(), "sim words are copied into JSON unescaped");

}  // namespace sy::sim
