// config_source: loading with the command line's overrides, the settings a reload may not
// change, and the keys that reloads use (admin.token, limits.endpoint_drain_ms).

#include "config/config_source.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace sy::config {
namespace {

Config parsed(std::string_view yaml) {
  auto result = parse_config(yaml, "cfg.yaml");
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
  return result ? *result : Config{};
}

TEST(ConfigSource, LoadsTheDemoWithOverrides) {
  ConfigSource source;
  source.overrides.listen = "127.0.0.1:0";
  source.overrides.threads = 3;
  source.overrides.log_level = "warn";
  const auto config = load_config(source);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->source, kDemoConfigSource);
  EXPECT_EQ(config->listen_port, 0);
  EXPECT_EQ(config->threads, 3u);
  EXPECT_EQ(config->log_level, "warn");
  ASSERT_EQ(config->pools.size(), 1u);
}

TEST(ConfigSource, NamesABadListenOverride) {
  ConfigSource source;
  source.overrides.listen = "nowhere";
  const auto config = load_config(source);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message.rfind("--listen: ", 0), 0u) << config.error().message;
}

TEST(ConfigSource, ReadsTheFileEveryTime) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("sy_config_source_test_" +
                     std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".yaml");
  ConfigSource source;
  source.path = path.string();
  source.overrides.threads = 2;
  { std::ofstream(path) << "threads: 7\nretry:\n  max_attempts: 4\n"; }
  const auto first = load_config(source);
  { std::ofstream(path) << "retry:\n  max_attempts: 9\n"; }
  const auto second = load_config(source);
  { std::ofstream(path) << "retry:\n  max_attemps: 9\n"; }
  const auto third = load_config(source);
  std::filesystem::remove(path);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->threads, 2u);  // the override wins over the file, each time
  EXPECT_EQ(second->threads, 2u);
  EXPECT_EQ(first->retry.max_attempts, 4u);
  EXPECT_EQ(second->retry.max_attempts, 9u);
  ASSERT_FALSE(third.has_value());
  EXPECT_EQ(third.error().message.rfind(path.string() + ":2:3: unknown key 'max_attemps'", 0), 0u)
      << third.error().message;
}

TEST(RestartOnlyChanges, IsEmptyForPoolsLimitsRetryAndLogLevel) {
  const Config a = parsed("pools: [{id: a, models: [m], endpoints: ['http://127.0.0.1:1']}]\n");
  const Config b = parsed(
      "log_level: debug\nlimits: {stall_timeout_ms: 5, endpoint_drain_ms: 9}\n"
      "retry: {max_attempts: 1}\nhealth: {interval_ms: 50, timeout_ms: 60}\n"
      "admin: {token: 0123456789abcdef}\n"
      "pools: [{id: b, models: [n], endpoints: ['http://127.0.0.1:2'], slots: 3}]\n");
  EXPECT_TRUE(restart_only_changes(a, b).empty());
}

TEST(RestartOnlyChanges, NamesEverySettingThatNeedsARestart) {
  const Config a = parsed("");
  const Config b = parsed(
      "listen: 127.0.0.1:9\nthreads: 3\nqueue: {capacity: 5, policy: drop-lru}\n"
      "breaker: {failure_threshold: 9, open_ms: 9, max_ejection_percent: 9}\n"
      "sessions: {ttl_ms: 9, max_entries: 9}\nhealth: {healthy_after: 9, unhealthy_after: 9}\n");
  const std::vector<std::string> expected = {"listen",
                                             "threads",
                                             "queue.capacity",
                                             "queue.policy",
                                             "breaker.failure_threshold",
                                             "breaker.open_ms",
                                             "breaker.max_ejection_percent",
                                             "sessions.ttl_ms",
                                             "sessions.max_entries",
                                             "health.healthy_after",
                                             "health.unhealthy_after"};
  EXPECT_EQ(restart_only_changes(a, b), expected);
  EXPECT_TRUE(restart_only_changes(b, b).empty());
}

TEST(ConfigKeys, ReadsAdminTokenAndDrainDeadline) {
  const Config c =
      parsed("admin:\n  token: \"0123456789abcdef\"\nlimits:\n  endpoint_drain_ms: 1500\n");
  EXPECT_EQ(c.admin.token, "0123456789abcdef");
  EXPECT_EQ(c.limits.endpoint_drain_ms, 1500u);
  const Config defaults = parsed("");
  EXPECT_TRUE(defaults.admin.token.empty());
  EXPECT_EQ(defaults.limits.endpoint_drain_ms, 30000u);
}

TEST(ConfigKeys, RefusesAShortAdminTokenAndUnknownAdminKeys) {
  const auto short_token = parse_config("admin:\n  token: short\n", "cfg.yaml");
  ASSERT_FALSE(short_token.has_value());
  EXPECT_EQ(short_token.error().message,
            "cfg.yaml:2:10: admin.token must be at least 16 characters long");
  EXPECT_EQ(short_token.error().param, "admin.token");
  const auto unknown = parse_config("admin:\n  tokn: 0123456789abcdef\n", "cfg.yaml");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().message.rfind("cfg.yaml:2:3: unknown key 'tokn' in admin", 0), 0u)
      << unknown.error().message;
  const auto zero_drain = parse_config("limits:\n  endpoint_drain_ms: 0\n", "cfg.yaml");
  ASSERT_FALSE(zero_drain.has_value());
}

}  // namespace
}  // namespace sy::config
