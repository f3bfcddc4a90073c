// find_line_break against a byte-by-byte reference, at every position around the 16-byte blocks
// it compares at once.

#include "sse/line_break.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sy::sse {
namespace {

std::size_t reference(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' || s[i] == '\r') return i;
  }
  return s.size();
}

TEST(FindLineBreak, FindsTheFirstCrOrLfAtEveryPosition) {
  for (std::size_t size = 0; size <= 70; ++size) {
    for (std::size_t at = 0; at < size; ++at) {
      for (const char brk : {'\n', '\r'}) {
        std::string s(size, 'x');
        s[at] = brk;
        if (at + 3 < size) s[at + 3] = brk == '\n' ? '\r' : '\n';  // a later break is ignored
        EXPECT_EQ(find_line_break(s.data(), s.size()), at) << "size " << size << " at " << at;
      }
    }
  }
}

TEST(FindLineBreak, IsTheSizeWhenThereIsNoBreak) {
  for (std::size_t size = 0; size <= 70; ++size) {
    const std::string s(size, 'y');
    EXPECT_EQ(find_line_break(s.data(), s.size()), size);
  }
}

TEST(FindLineBreak, ReadsNoByteBeyondTheSize) {
  // The break lies just past the end: it must not be reported.
  const std::string s = std::string(37, 'z') + "\n";
  for (std::size_t size = 0; size <= 37; ++size) {
    EXPECT_EQ(find_line_break(s.data(), size), size);
  }
}

TEST(FindLineBreak, HandlesHighBytes) {
  // UTF-8 and 0x8A / 0x8D (LF / CR with the top bit set) are not line breaks.
  std::string s = "h\xC3\xA9llo \x8A\x8D\xF0\x9F\x8E\x89 and more text past sixteen";
  EXPECT_EQ(find_line_break(s.data(), s.size()), reference(s));
  s += '\r';
  EXPECT_EQ(find_line_break(s.data(), s.size()), s.size() - 1);
}

}  // namespace
}  // namespace sy::sse
