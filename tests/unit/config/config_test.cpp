#include "config/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace sy::config {
namespace {

constexpr std::string_view kFullExample = R"yaml(# every key, block style
listen: "0.0.0.0:9000"
threads: 4
log_level: debug
limits:
  max_header_bytes: 8192
  max_body_bytes: 10000000000
  stall_timeout_ms: 15000
  connect_timeout_ms: 500
  first_byte_timeout_ms: 60000
  max_connections: 5000
  idle_timeout_ms: 30000
queue:
  capacity: 64
  policy: shed-low-priority
  position_interval_ms: 250
health:
  interval_ms: 2000
  timeout_ms: 700
  healthy_after: 1
  unhealthy_after: 4
breaker:
  failure_threshold: 7
  open_ms: 9000
retry:
  max_attempts: 2
  backoff_base_ms: 10
  backoff_max_ms: 100
sessions:
  ttl_ms: 1000
  max_entries: 50
tasks:
  max_frames: 100
  max_frame_bytes: 65536
  retention_ms: 5000
  max_tasks: 300
pools:
  - id: big-gpu
    models: [llama-3-70b, "meta/llama:70b"]
    engine: llamacpp
    endpoints:
      - http://10.0.0.1:8000/v1/
      - http://[::1]:8001
      - http://gpu-host
    slots: 4
    ctx_max: 32768
    health_path: /v1/health
  - id: small
    models:
      - tiny
    endpoints: [http://127.0.0.1:9101]
)yaml";

Result<Config> parse(std::string_view yaml) { return parse_config(yaml, "cfg.yaml"); }

// Asserts that `yaml` fails with InvalidParams and a message starting with `prefix`.
void expect_error(std::string_view yaml, std::string_view prefix) {
  const auto result = parse(yaml);
  ASSERT_FALSE(result.has_value()) << "expected an error for:\n" << yaml;
  EXPECT_EQ(result.error().code, ErrorCode::InvalidParams);
  EXPECT_EQ(result.error().message.substr(0, prefix.size()), prefix)
      << "full message: " << result.error().message;
}

TEST(Config, ParsesFullExampleWithExactValues) {
  const auto cfg = parse(kFullExample);
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(cfg->source, "cfg.yaml");
  EXPECT_EQ(cfg->listen_host, "0.0.0.0");
  EXPECT_EQ(cfg->listen_port, 9000);
  EXPECT_EQ(cfg->threads, 4u);
  EXPECT_EQ(cfg->log_level, "debug");

  EXPECT_EQ(cfg->limits.max_header_bytes, 8192u);
  EXPECT_EQ(cfg->limits.max_body_bytes, 10000000000u);
  EXPECT_EQ(cfg->limits.stall_timeout_ms, 15000u);
  EXPECT_EQ(cfg->limits.connect_timeout_ms, 500u);
  EXPECT_EQ(cfg->limits.first_byte_timeout_ms, 60000u);
  EXPECT_EQ(cfg->limits.max_connections, 5000u);
  EXPECT_EQ(cfg->limits.idle_timeout_ms, 30000u);

  EXPECT_EQ(cfg->queue.capacity, 64u);
  EXPECT_EQ(cfg->queue.policy, OverflowPolicy::ShedLowPriority);
  EXPECT_EQ(cfg->queue.position_interval_ms, 250u);

  EXPECT_EQ(cfg->health.interval_ms, 2000u);
  EXPECT_EQ(cfg->health.timeout_ms, 700u);
  EXPECT_EQ(cfg->health.healthy_after, 1u);
  EXPECT_EQ(cfg->health.unhealthy_after, 4u);
  EXPECT_EQ(cfg->breaker.failure_threshold, 7u);
  EXPECT_EQ(cfg->breaker.open_ms, 9000u);
  EXPECT_EQ(cfg->retry.max_attempts, 2u);
  EXPECT_EQ(cfg->retry.backoff_base_ms, 10u);
  EXPECT_EQ(cfg->retry.backoff_max_ms, 100u);
  EXPECT_EQ(cfg->sessions.ttl_ms, 1000u);
  EXPECT_EQ(cfg->sessions.max_entries, 50u);
  EXPECT_EQ(cfg->tasks.max_frames, 100u);
  EXPECT_EQ(cfg->tasks.max_frame_bytes, 65536u);
  EXPECT_EQ(cfg->tasks.retention_ms, 5000u);
  EXPECT_EQ(cfg->tasks.max_tasks, 300u);

  ASSERT_EQ(cfg->pools.size(), 2u);
  const Pool& big = cfg->pools[0];
  EXPECT_EQ(big.id, "big-gpu");
  EXPECT_EQ(big.models, (std::vector<std::string>{"llama-3-70b", "meta/llama:70b"}));
  EXPECT_EQ(big.engine, EngineProtocol::LlamaCpp);
  ASSERT_EQ(big.endpoints.size(), 3u);
  EXPECT_EQ(big.endpoints[0].url, "http://10.0.0.1:8000/v1/");
  EXPECT_EQ(big.endpoints[0].host, "10.0.0.1");
  EXPECT_EQ(big.endpoints[0].port, 8000);
  EXPECT_EQ(big.endpoints[0].base_path, "/v1");
  EXPECT_EQ(big.endpoints[1].host, "::1");
  EXPECT_EQ(big.endpoints[1].port, 8001);
  EXPECT_EQ(big.endpoints[1].base_path, "");
  EXPECT_EQ(big.endpoints[2].host, "gpu-host");
  EXPECT_EQ(big.endpoints[2].port, 80);
  EXPECT_EQ(big.slots, 4u);
  EXPECT_EQ(big.ctx_max, 32768u);
  EXPECT_EQ(big.health_path, "/v1/health");

  const Pool& small = cfg->pools[1];
  EXPECT_EQ(small.id, "small");
  EXPECT_EQ(small.models, (std::vector<std::string>{"tiny"}));
  EXPECT_EQ(small.engine, EngineProtocol::OpenAI);
  ASSERT_EQ(small.endpoints.size(), 1u);
  EXPECT_EQ(small.endpoints[0].port, 9101);
  EXPECT_EQ(small.slots, 8u);
  EXPECT_EQ(small.ctx_max, 8192u);
  EXPECT_EQ(small.health_path, "/health");
}

TEST(Config, ParsesFlowStyleLikeBlockStyle) {
  const auto flow = parse(
      "{listen: '127.0.0.1:1234', limits: { max_header_bytes: 100, stall_timeout_ms: 5 },\n"
      " queue: {capacity: 3, policy: drop-lru},\n"
      " pools: [{id: p, models: [m], endpoints: [http://h:1]}]}\n");
  const auto block = parse(
      "listen: 127.0.0.1:1234\n"
      "limits:\n  max_header_bytes: 100\n  stall_timeout_ms: 5\n"
      "queue:\n  capacity: 3\n  policy: drop-lru\n"
      "pools:\n  - id: p\n    models:\n      - m\n    endpoints:\n      - http://h:1\n");
  ASSERT_TRUE(flow.has_value()) << flow.error().message;
  ASSERT_TRUE(block.has_value()) << block.error().message;
  for (const Config* cfg : {&*flow, &*block}) {
    EXPECT_EQ(cfg->listen_port, 1234);
    EXPECT_EQ(cfg->limits.max_header_bytes, 100u);
    EXPECT_EQ(cfg->limits.stall_timeout_ms, 5u);
    EXPECT_EQ(cfg->limits.max_body_bytes, 8388608u);  // untouched default
    EXPECT_EQ(cfg->queue.capacity, 3u);
    EXPECT_EQ(cfg->queue.policy, OverflowPolicy::DropLru);
    ASSERT_EQ(cfg->pools.size(), 1u);
    EXPECT_EQ(cfg->pools[0].id, "p");
    EXPECT_EQ(cfg->pools[0].endpoints[0].host, "h");
  }
}

TEST(Config, GivesDefaultsForEmptyText) {
  for (const std::string_view text : {"", "# only a comment\n", "pools: []\n", "pools:\n"}) {
    const auto cfg = parse(text);
    ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
    EXPECT_EQ(cfg->listen_host, "127.0.0.1");
    EXPECT_EQ(cfg->listen_port, 8080);
    EXPECT_EQ(cfg->threads, 0u);
    EXPECT_EQ(cfg->log_level, "info");
    EXPECT_EQ(cfg->queue.capacity, 1024u);
    EXPECT_EQ(cfg->queue.policy, OverflowPolicy::Reject);
    EXPECT_EQ(cfg->retry.max_attempts, 3u);
    EXPECT_EQ(cfg->tasks.max_frames, 4096u);
    EXPECT_EQ(cfg->tasks.retention_ms, 60000u);
    EXPECT_TRUE(cfg->pools.empty());
  }
}

TEST(Config, ParsesEmbeddedDemo) {
  const auto cfg = parse_config(demo_config_yaml(), std::string(kDemoConfigSource));
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(cfg->source, "<embedded demo>");
  EXPECT_EQ(cfg->listen_host, "127.0.0.1");
  EXPECT_EQ(cfg->listen_port, 8080);
  EXPECT_EQ(cfg->queue.capacity, 1024u);
  EXPECT_EQ(cfg->queue.policy, OverflowPolicy::Reject);
  ASSERT_EQ(cfg->pools.size(), 1u);
  const Pool& pool = cfg->pools[0];
  EXPECT_EQ(pool.id, "demo");
  EXPECT_EQ(pool.models, (std::vector<std::string>{"sim-model"}));
  EXPECT_EQ(pool.engine, EngineProtocol::OpenAI);
  ASSERT_EQ(pool.endpoints.size(), 2u);
  EXPECT_EQ(pool.endpoints[0].host, "127.0.0.1");
  EXPECT_EQ(pool.endpoints[0].port, 9101);
  EXPECT_EQ(pool.endpoints[1].port, 9102);
  EXPECT_EQ(pool.slots, 8u);
  EXPECT_EQ(pool.ctx_max, 8192u);
}

TEST(ConfigErrors, NamesLineAndColumnOfUnknownKey) {
  expect_error("threads: 2\nlimits:\n  max_header_bytes: 1\n  colour: red\n",
               "cfg.yaml:4:3: unknown key 'colour' in limits");
  expect_error("limits: { max_header_bytes: 1, colour: red }\n",
               "cfg.yaml:1:32: unknown key 'colour' in limits");
  expect_error("threads: 2\ncolour: red\n", "cfg.yaml:2:1: unknown top-level key 'colour'");
  expect_error("pools:\n  - id: a\n    colour: red\n",
               "cfg.yaml:3:5: unknown key 'colour' in pools[0]");
}

TEST(ConfigErrors, NamesDuplicateKey) {
  expect_error("queue:\n  capacity: 1\n  capacity: 2\n",
               "cfg.yaml:3:3: duplicate key 'capacity' in queue");
}

TEST(ConfigErrors, NamesBadEnumValue) {
  expect_error("threads: 1\nlisten: 127.0.0.1:80\nqueue:\n  policy:     fifo\n",
               "cfg.yaml:4:15: queue.policy must be one of reject, drop-lru, shed-low-priority "
               "(got 'fifo')");
  expect_error("queue: {policy: fifo}\n", "cfg.yaml:1:17: queue.policy must be one of");
  expect_error("log_level: loud\n",
               "cfg.yaml:1:12: log_level must be one of trace, debug, info, warn, error, off "
               "(got 'loud')");
  expect_error("pools:\n  - id: a\n    engine: vllm\n",
               "cfg.yaml:3:13: pools[0].engine must be one of openai, llamacpp (got 'vllm')");
}

TEST(ConfigErrors, NamesWrongTypes) {
  expect_error("limits:\n  max_body_bytes: lots\n",
               "cfg.yaml:2:19: limits.max_body_bytes must be a non-negative integer (got 'lots')");
  expect_error("limits:\n  max_body_bytes: -1\n",
               "cfg.yaml:2:19: limits.max_body_bytes must be a non-negative integer");
  expect_error("limits:\n  max_body_bytes: [1]\n",
               "cfg.yaml:2:19: limits.max_body_bytes must be a non-negative integer (got a list)");
  expect_error("limits:\n  max_body_bytes: 0x10\n",
               "cfg.yaml:2:19: limits.max_body_bytes must be a non-negative integer");
  expect_error("threads:\nlog_level: info\n",
               "cfg.yaml:1:1: threads must be a non-negative integer (got nothing)");
  expect_error("limits: 5\n", "cfg.yaml:1:9: limits must be a map of keys (got '5')");
  expect_error("- a\n- b\n", "cfg.yaml:1:1: the configuration must be a map of keys (got a list)");
  expect_error("pools: {id: a}\n", "cfg.yaml:1:8: pools must be a list of pools (got a map)");
  expect_error("pools:\n  - id: a\n    models: sim\n",
               "cfg.yaml:3:13: pools[0].models must be a list of model names (got 'sim')");
}

TEST(ConfigErrors, NamesOutOfRangeNumbers) {
  expect_error("limits:\n  stall_timeout_ms: 4294967296\n",
               "cfg.yaml:2:21: limits.stall_timeout_ms must be at most 4294967295");
  expect_error("threads: 257\n", "cfg.yaml:1:10: threads must be at most 256 (got '257')");
  expect_error("tasks:\n  max_frame_bytes: 10\n",
               "cfg.yaml:2:20: tasks.max_frame_bytes must be at least 1024 (got '10')");
  expect_error("tasks:\n  max_frames: 0\n",
               "cfg.yaml:2:15: tasks.max_frames must be at least 1 (got '0')");
  expect_error("retry:\n  max_attempts: 0\n",
               "cfg.yaml:2:17: retry.max_attempts must be at least 1 (got '0')");
  expect_error("retry:\n  backoff_base_ms: 50\n  backoff_max_ms: 10\n",
               "cfg.yaml:3:19: retry.backoff_max_ms (10) must be at least retry.backoff_base_ms "
               "(50)");
}

TEST(ConfigErrors, NamesBadListenAddress) {
  expect_error("listen: \"127.0.0.1:70000\"\n",
               "cfg.yaml:1:9: listen: invalid host:port '127.0.0.1:70000': the port must be a "
               "number from 0 to 65535");
  expect_error("listen: localhost\n", "cfg.yaml:1:9: listen: invalid host:port 'localhost'");
}

TEST(ConfigErrors, NamesYamlSyntaxError) {
  expect_error("limits:\n  max_header_bytes: 1\n bad: [\n", "cfg.yaml:");
  const auto result = parse("queue: {capacity: 1\n");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "cfg.yaml:2:1: YAML syntax error: end of map flow not found");
  expect_error("a: 1\n---\nb: 2\n",
               "cfg.yaml:2:1: the configuration must be a single YAML document");
  // yaml-cpp 0.7 would loop forever in LoadAll on a lone comma (found by fuzzing).
  const auto comma = parse_config(",\n", "cfg.yaml");
  ASSERT_FALSE(comma.has_value());
  EXPECT_EQ(comma.error().code, ErrorCode::InvalidParams);
  EXPECT_NE(comma.error().message.find("cfg.yaml:"), std::string::npos) << comma.error().message;
}

constexpr std::string_view kPoolHead = "pools:\n  - id: a\n    models: [m]\n";

TEST(ConfigErrors, NamesMissingRequiredPoolKeys) {
  expect_error("pools:\n  - models: [m]\n    endpoints: [http://h:1]\n",
               "cfg.yaml:2:5: pools[0] is missing required key 'id'");
  expect_error("pools:\n  - id: a\n    endpoints: [http://h:1]\n",
               "cfg.yaml:2:5: pools[0] is missing required key 'models'");
  expect_error(kPoolHead, "cfg.yaml:2:5: pools[0] is missing required key 'endpoints'");
  expect_error("pools:\n  - id: a\n    models: []\n    endpoints: [http://h:1]\n",
               "cfg.yaml:3:13: pools[0].models must not be empty");
  expect_error(std::string(kPoolHead) + "    endpoints: []\n",
               "cfg.yaml:4:16: pools[0].endpoints must not be empty");
  expect_error("pools:\n  - id: ''\n", "cfg.yaml:2:9: pools[0].id must not be empty");
  expect_error("pools:\n  -\n", "cfg.yaml:");
}

TEST(ConfigErrors, NamesDuplicatePoolId) {
  expect_error(
      "pools:\n"
      "  - {id: a, models: [m], endpoints: [http://h:1]}\n"
      "  - {id: b, models: [m], endpoints: [http://h:2]}\n"
      "  - {id: a, models: [n], endpoints: [http://h:3]}\n",
      "cfg.yaml:4:10: duplicate pool id 'a' (first defined at line 2)");
}

TEST(ConfigErrors, NamesZeroSlotsAndBadPoolValues) {
  const std::string head = std::string(kPoolHead) + "    endpoints: [http://h:1]\n";
  expect_error(head + "    slots: 0\n",
               "cfg.yaml:5:12: pools[0].slots must be at least 1 (got '0')");
  expect_error(head + "    ctx_max: 0\n", "cfg.yaml:5:14: pools[0].ctx_max must be at least 1");
  expect_error(head + "    health_path: health\n",
               "cfg.yaml:5:18: pools[0].health_path must start with '/'");
  expect_error("pools:\n  - id: 'a b'\n", "cfg.yaml:2:9: pools[0].id must be 1-64 letters");
  expect_error("pools:\n  - id: a\n    models: [m, m]\n",
               "cfg.yaml:3:17: duplicate model 'm' in pools[0].models");
}

TEST(ConfigErrors, NamesBadEndpoints) {
  expect_error(std::string(kPoolHead) + "    endpoints:\n      - http://h:1\n      - https://h:2\n",
               "cfg.yaml:6:9: pools[0].endpoints[1]: https endpoints are not supported yet");
  expect_error(std::string(kPoolHead) + "    endpoints: [ftp://h]\n",
               "cfg.yaml:4:17: pools[0].endpoints[0]: invalid endpoint URL 'ftp://h'");
  expect_error(std::string(kPoolHead) + "    endpoints: [http://h:0]\n",
               "cfg.yaml:4:17: pools[0].endpoints[0]: invalid endpoint URL 'http://h:0': the port "
               "must be a number from 1 to 65535");
  expect_error(std::string(kPoolHead) + "    endpoints: [http://h:1, http://h:1/]\n",
               "cfg.yaml:4:29: duplicate endpoint 'http://h:1/' in pools[0].endpoints");
}

TEST(ConfigErrors, SetsParamToKeyPath) {
  const auto result = parse("queue:\n  policy: fifo\n");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().param, "queue.policy");
}

TEST(ConfigFile, LoadsFileAndUsesPathAsSource) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("sy_config_test_" +
                     std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".yaml");
  {
    std::ofstream out(path);
    out << "threads: 3\nqueue:\n  policy: nope\n";
  }
  const auto result = load_config_file(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message.rfind(path.string() + ":3:11: queue.policy must be one of", 0),
            0u)
      << result.error().message;
}

TEST(ConfigFile, NamesMissingFile) {
  const auto result = load_config_file("/nonexistent/switchyard.yaml");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::InvalidParams);
  EXPECT_EQ(result.error().message,
            "cannot open config file '/nonexistent/switchyard.yaml': No such file or directory");
}

TEST(ConfigNames, MapsEnumsBackToYamlNames) {
  EXPECT_EQ(to_string(OverflowPolicy::ShedLowPriority), "shed-low-priority");
  EXPECT_EQ(to_string(OverflowPolicy::DropLru), "drop-lru");
  EXPECT_EQ(to_string(EngineProtocol::LlamaCpp), "llamacpp");
}

}  // namespace
}  // namespace sy::config
