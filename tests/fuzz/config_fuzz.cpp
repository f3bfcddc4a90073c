// libFuzzer target for the configuration loader (config::parse_config). Built by the `fuzz` preset
// (docs/fuzzing.md).
//
// Input layout: the whole input is the YAML text. Properties:
//   1. No exception escapes (config.hpp promises it; yaml-cpp throws freely inside).
//   2. An error is InvalidParams with a message starting "fuzz.yaml:" (file:line:column: what).
//   3. A configuration that loads keeps the documented bounds (config.hpp, docs/configuration.md),
//      so the server never starts with, say, a pool without endpoints or a zero limit.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "common/error.hpp"
#include "config/config.hpp"
#include "fuzz_support.hpp"

namespace {

using sy::config::Config;

constexpr std::string_view kSource = "fuzz.yaml";

bool valid_pool_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void check_bounds(const Config& c) {
  SY_FUZZ_CHECK(c.source == kSource);
  SY_FUZZ_CHECK(c.threads <= 256);
  SY_FUZZ_CHECK(!c.listen_host.empty());
  const auto& l = c.limits;
  SY_FUZZ_CHECK(l.max_header_bytes >= 1 && l.max_body_bytes >= 1 && l.stall_timeout_ms >= 1 &&
                l.connect_timeout_ms >= 1 && l.first_byte_timeout_ms >= 1 &&
                l.max_connections >= 1 && l.idle_timeout_ms >= 1);
  SY_FUZZ_CHECK(c.queue.position_interval_ms >= 1);
  SY_FUZZ_CHECK(c.health.interval_ms >= 1 && c.health.timeout_ms >= 1 &&
                c.health.healthy_after >= 1 && c.health.unhealthy_after >= 1);
  SY_FUZZ_CHECK(c.breaker.failure_threshold >= 1 && c.breaker.open_ms >= 1);
  SY_FUZZ_CHECK(c.retry.max_attempts >= 1 && c.retry.backoff_max_ms >= c.retry.backoff_base_ms);
  static const std::set<std::string_view> kLevels = {"trace", "debug", "info",
                                                     "warn",  "error", "off"};
  SY_FUZZ_CHECK(kLevels.contains(c.log_level));
  std::set<std::string> ids;
  for (const auto& pool : c.pools) {
    SY_FUZZ_CHECK(valid_pool_id(pool.id));
    SY_FUZZ_CHECK(ids.insert(pool.id).second);
    SY_FUZZ_CHECK(!pool.models.empty());
    std::set<std::string> models;
    for (const auto& m : pool.models) SY_FUZZ_CHECK(!m.empty() && models.insert(m).second);
    SY_FUZZ_CHECK(!pool.endpoints.empty());
    std::set<std::tuple<std::string, std::uint16_t, std::string>> endpoints;
    for (const auto& e : pool.endpoints) {
      SY_FUZZ_CHECK(!e.host.empty() && e.port >= 1);
      SY_FUZZ_CHECK(e.base_path.empty() ||
                    (e.base_path.front() == '/' && !e.base_path.ends_with('/')));
      SY_FUZZ_CHECK(endpoints.emplace(e.host, e.port, e.base_path).second);
    }
    SY_FUZZ_CHECK(pool.slots >= 1 && pool.ctx_max >= 1);
    SY_FUZZ_CHECK(pool.health_path.starts_with('/'));
  }
}

sy::Result<Config> parse(std::string_view text) {
  try {
    return sy::config::parse_config(text, std::string(kSource));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception escaped parse_config: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "non-std exception escaped parse_config\n");
  }
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto config = parse(text);
  if (!config) {
    SY_FUZZ_CHECK(config.error().code == sy::ErrorCode::InvalidParams);
    SY_FUZZ_CHECK(config.error().message.starts_with("fuzz.yaml:"));
    return 0;
  }
  check_bounds(*config);
  return 0;
}
