#include "placement/registry_snapshot.hpp"

#include <gtest/gtest.h>

namespace sy::placement {
namespace {

RegistrySnapshot make_snapshot() {
  RegistrySnapshot s;
  s.version = 7;
  s.pools = {
      {"p0", {"llama", "qwen"}, 2, 4096, {0, 1}},
      {"p1", {"qwen", "mistral"}, 2, 4096, {2}},
      {"p2", {"phi"}, 1, 2048, {}},
  };
  s.endpoints = {
      {0, 0, "http://a", false, BreakerState::Closed},
      {1, 0, "http://b", false, BreakerState::Closed},
      {2, 1, "http://c", false, BreakerState::Closed},
  };
  return s;
}

TEST(RegistrySnapshot, NothingIsReadyUntilAnEndpointIs) {
  const RegistrySnapshot s = make_snapshot();
  EXPECT_FALSE(s.pool_ready(0));
  EXPECT_FALSE(s.any_pool_ready());
  EXPECT_TRUE(s.ready_models().empty());
  EXPECT_FALSE(s.model_ready("llama"));
  EXPECT_TRUE(s.serves_model("llama"));
  EXPECT_TRUE(s.serves_model("phi"));
  EXPECT_FALSE(s.serves_model("gpt"));
  EXPECT_FALSE(s.serves_model("Llama"));  // exact match
}

TEST(RegistrySnapshot, ReadyModelsAreSortedAndUnique) {
  RegistrySnapshot s = make_snapshot();
  s.endpoints[1].ready = true;
  s.endpoints[2].ready = true;
  EXPECT_TRUE(s.pool_ready(0));
  EXPECT_TRUE(s.pool_ready(1));
  EXPECT_FALSE(s.pool_ready(2));   // no endpoints
  EXPECT_FALSE(s.pool_ready(99));  // out of range
  EXPECT_TRUE(s.any_pool_ready());
  EXPECT_EQ(s.ready_models(), (std::vector<std::string>{"llama", "mistral", "qwen"}));
  EXPECT_EQ(s.all_models(), (std::vector<std::string>{"llama", "mistral", "phi", "qwen"}));
}

TEST(RegistrySnapshot, AnEjectedEndpointDoesNotCountAsReady) {
  RegistrySnapshot s = make_snapshot();
  s.endpoints[2].ready = true;
  s.endpoints[2].breaker = BreakerState::Open;
  s.endpoints[2].ejected = true;
  EXPECT_FALSE(s.pool_ready(1));
  // Open but kept in service by the ejection cap: it still serves.
  s.endpoints[2].ejected = false;
  EXPECT_TRUE(s.pool_ready(1));
  EXPECT_TRUE(s.model_ready("mistral"));
}

}  // namespace
}  // namespace sy::placement
