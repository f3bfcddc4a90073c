#include "admission/priority.hpp"

#include <gtest/gtest.h>

namespace sy::admission {
namespace {

TEST(Priority, ParsesNamesCaseInsensitively) {
  EXPECT_EQ(parse_priority("interactive"), Priority::Interactive);
  EXPECT_EQ(parse_priority("Interactive"), Priority::Interactive);
  EXPECT_EQ(parse_priority("BATCH"), Priority::Batch);
  EXPECT_EQ(parse_priority("batch"), Priority::Batch);
}

TEST(Priority, RejectsUnknownNames) {
  EXPECT_EQ(parse_priority(""), std::nullopt);
  EXPECT_EQ(parse_priority("high"), std::nullopt);
  EXPECT_EQ(parse_priority("batch "), std::nullopt);
  EXPECT_EQ(parse_priority("interactiv"), std::nullopt);
}

TEST(Priority, ToStringRoundTrips) {
  for (const Priority p : {Priority::Interactive, Priority::Batch}) {
    EXPECT_EQ(parse_priority(to_string(p)), p);
  }
  EXPECT_EQ(to_string(Priority::Interactive), "interactive");
  EXPECT_EQ(to_string(Priority::Batch), "batch");
}

}  // namespace
}  // namespace sy::admission
