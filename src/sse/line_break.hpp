#pragma once
// find_line_break: where the first line break (CR or LF) is in a run of bytes. The SSE parser
// calls it on every line an engine sends and the writer on every event it writes, so it compares
// 16 bytes at a time with SSE2 (part of every x86-64 CPU) rather than one byte per step; other
// targets take the plain loop. (std::string_view::find_first_of calls memchr once per byte.)
//
// Pure; safe on any thread.

#include <cstddef>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sy::sse {

// The index of the first '\r' or '\n' in data[0, size), or size when there is none.
[[nodiscard]] inline std::size_t find_line_break(const char* data, std::size_t size) noexcept {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  for (; i + 16 <= size; i += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    const int hits =
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(block, lf), _mm_cmpeq_epi8(block, cr)));
    if (hits != 0) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(hits)));
  }
#endif
  for (; i < size; ++i) {
    if (data[i] == '\n' || data[i] == '\r') return i;
  }
  return size;
}

}  // namespace sy::sse
