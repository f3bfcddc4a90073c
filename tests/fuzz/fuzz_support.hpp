#pragma once
// Shared by the fuzz targets: a property check that names the property before it aborts (libFuzzer
// then saves the input as a crash artifact), and the ways a target cuts its input into pieces.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace sy::fuzz {

[[noreturn]] inline void property_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", file, line, what);
  std::abort();
}

// Bytes-by-bytes feeding is quadratic in the harnesses; past this size only the two-piece split
// runs, which keeps executions fast enough for millions of runs.
inline constexpr std::size_t kMaxBytewiseInput = 512;

// `text` as two pieces cut at `cut` (taken modulo size + 1, so any value is a valid cut).
[[nodiscard]] inline std::vector<std::string_view> two_pieces(std::string_view text,
                                                              std::size_t cut) {
  cut %= text.size() + 1;
  return {text.substr(0, cut), text.substr(cut)};
}

// `text` one byte per piece; empty text is one empty piece, so every way of feeding makes at least
// one call.
[[nodiscard]] inline std::vector<std::string_view> byte_pieces(std::string_view text) {
  if (text.empty()) return {text};
  std::vector<std::string_view> pieces;
  pieces.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) pieces.push_back(text.substr(i, 1));
  return pieces;
}

// A little-endian 16-bit value from the first two bytes of `data` (0 when too short).
[[nodiscard]] inline std::size_t u16_at(const std::uint8_t* data, std::size_t size) {
  return size < 2 ? 0 : (std::size_t{data[0]} | (std::size_t{data[1]} << 8));
}

}  // namespace sy::fuzz

#define SY_FUZZ_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::sy::fuzz::property_failed(#cond, __FILE__, __LINE__))
