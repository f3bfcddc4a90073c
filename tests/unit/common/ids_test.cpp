// Correlation ids: UUIDv4 shape and uniqueness, and which client-supplied ids we echo back.

#include "common/ids.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace sy {
namespace {

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

TEST(Uuid, HasCanonicalShape) {
  for (int n = 0; n < 1000; ++n) {
    const std::string id = make_uuid_v4();
    ASSERT_EQ(id.size(), 36u) << id;
    for (std::size_t i = 0; i < id.size(); ++i) {
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        ASSERT_EQ(id[i], '-') << id;
      } else {
        ASSERT_TRUE(is_lower_hex(id[i])) << id << " at " << i;
      }
    }
  }
}

TEST(Uuid, HasVersionFourAndRfc4122Variant) {
  for (int n = 0; n < 1000; ++n) {
    const std::string id = make_uuid_v4();
    ASSERT_EQ(id[14], '4') << id;
    ASSERT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
  }
}

TEST(Uuid, VariesInEveryRandomNibble) {
  // Over many ids every random position takes more than one value (catches a nibble stuck at a
  // constant because of a wrong mask or a skipped position).
  std::vector<std::unordered_set<char>> seen(36);
  for (int n = 0; n < 2000; ++n) {
    const std::string id = make_uuid_v4();
    for (std::size_t i = 0; i < id.size(); ++i) seen[i].insert(id[i]);
  }
  for (std::size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 14 || i == 18 || i == 23) {
      EXPECT_EQ(seen[i].size(), 1u) << "position " << i;
    } else if (i == 19) {
      EXPECT_EQ(seen[i].size(), 4u) << "position " << i;
    } else {
      EXPECT_EQ(seen[i].size(), 16u) << "position " << i;
    }
  }
}

TEST(Uuid, IsUniqueOverTenThousandIds) {
  std::unordered_set<std::string> ids;
  for (int n = 0; n < 10000; ++n) ids.insert(make_uuid_v4());
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(Uuid, DiffersAcrossThreads) {
  // Each thread has its own generator; they must not be seeded identically.
  std::vector<std::string> firsts(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < firsts.size(); ++t) {
    threads.emplace_back([&firsts, t] { firsts[t] = make_uuid_v4(); });
  }
  for (auto& th : threads) th.join();
  const std::unordered_set<std::string> unique(firsts.begin(), firsts.end());
  EXPECT_EQ(unique.size(), firsts.size());
}

TEST(CorrelationId, AcceptsVisibleAscii) {
  EXPECT_TRUE(is_acceptable_correlation_id("a"));
  EXPECT_TRUE(is_acceptable_correlation_id("req-123_ABC.xyz"));
  EXPECT_TRUE(is_acceptable_correlation_id("!~{}[]\"'\\"));
  EXPECT_TRUE(is_acceptable_correlation_id(make_uuid_v4()));
}

TEST(CorrelationId, AcceptsExactly128Characters) {
  EXPECT_TRUE(is_acceptable_correlation_id(std::string(128, 'x')));
}

TEST(CorrelationId, RejectsEmptyAndTooLong) {
  EXPECT_FALSE(is_acceptable_correlation_id(""));
  EXPECT_FALSE(is_acceptable_correlation_id(std::string(129, 'x')));
}

TEST(CorrelationId, RejectsSpacesAndControlCharacters) {
  EXPECT_FALSE(is_acceptable_correlation_id("a b"));
  EXPECT_FALSE(is_acceptable_correlation_id("abc\r\nX-Injected: 1"));
  EXPECT_FALSE(is_acceptable_correlation_id("tab\there"));
  EXPECT_FALSE(is_acceptable_correlation_id(std::string_view("nul\0", 4)));
  EXPECT_FALSE(is_acceptable_correlation_id("del\x7f"));
}

TEST(CorrelationId, RejectsNonAsciiBytes) {
  EXPECT_FALSE(is_acceptable_correlation_id("caf\xC3\xA9"));
  EXPECT_FALSE(is_acceptable_correlation_id("\x80"));
  EXPECT_FALSE(is_acceptable_correlation_id("\xFF"));
}

}  // namespace
}  // namespace sy
