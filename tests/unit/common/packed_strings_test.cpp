#include "common/packed_strings.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sy {
namespace {

TEST(PackedStrings, EachFieldReadsBackAsSetEmptyOnesIncluded) {
  PackedStrings<4> p;
  EXPECT_EQ(p.get(0), "");
  EXPECT_EQ(p.get(3), "");
  p.set({"batch", "", "1500", "session-7"});
  EXPECT_EQ(p.get(0), "batch");
  EXPECT_EQ(p.get(1), "");
  EXPECT_EQ(p.get(2), "1500");
  EXPECT_EQ(p.get(3), "session-7");
}

TEST(PackedStrings, SettingAgainReplacesEveryField) {
  PackedStrings<3> p;
  const std::string long_value(5000, 'x');
  p.set({"POST", "/v1/chat/completions", long_value});
  EXPECT_EQ(p.get(2), long_value);
  p.set({"GET", "", ""});
  EXPECT_EQ(p.get(0), "GET");
  EXPECT_EQ(p.get(1), "");
  EXPECT_EQ(p.get(2), "");
}

}  // namespace
}  // namespace sy
