#pragma once
// Switchyard's configuration: plain structs with their defaults, and the YAML loader that fills
// them.
//
// YAML layout (every key optional unless marked; block or flow style):
//   listen: "127.0.0.1:8080"        host:port, port 0-65535 (0 = any free port)
//   threads: 0                      0-256; 0 = one worker per core
//   log_level: info                 trace | debug | info | warn | error | off
//   limits:   { max_header_bytes, max_body_bytes, stall_timeout_ms, connect_timeout_ms,
//               first_byte_timeout_ms, max_connections, idle_timeout_ms,
//               endpoint_drain_ms }                                            all >= 1
//   queue:    { capacity (>= 0), policy: reject | drop-lru | shed-low-priority,
//               position_interval_ms (>= 1) }
//   health:   { interval_ms, timeout_ms, healthy_after, unhealthy_after }     all >= 1
//   breaker:  { failure_threshold, open_ms (>= 1), max_ejection_percent (0-100) }
//   retry:    { max_attempts (>= 1), backoff_base_ms, backoff_max_ms (>= backoff_base_ms) }
//   sessions: { ttl_ms, max_entries }
//   admin:    { token: "..." }      at least 16 characters; enables POST /admin/reload
//   pools:                          a list; may be empty (the server then is not ready)
//     - id: demo                    REQUIRED, unique, 1-64 of [A-Za-z0-9._-]
//       models: [sim-model]         REQUIRED, non-empty list of distinct non-empty names
//       engine: openai              openai | llamacpp
//       endpoints: [http://127.0.0.1:9101]   REQUIRED, non-empty list of distinct http:// URLs
//       slots: 8                    >= 1
//       ctx_max: 8192               >= 1
//       health_path: /health        must start with '/'
// Integers are plain decimal digits and must fit the field (uint32 unless noted below).
// Unknown keys and duplicate keys are errors.
//
// Errors: every problem is ErrorCode::InvalidParams with a message
// "<source>:<line>:<column>: <what>" (1-based, from yaml-cpp marks) naming the key path, e.g.
//   cfg.yaml:7:3: unknown key 'colour' in limits
//   cfg.yaml:4:13: queue.policy must be one of reject, drop-lru, shed-low-priority (got 'fifo')
// and Error::param set to the key path ("queue.policy", "pools[0].slots"). No exception escapes.
//
// Thread: pure functions (load_config_file reads one file); safe from any thread. A loaded Config
// is a value; share it as std::shared_ptr<const Config>.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "config/address.hpp"  // Endpoint, parse_host_port, parse_endpoint_url

namespace sy::config {

enum class OverflowPolicy {
  Reject,
  DropLru,
  ShedLowPriority
};                                               // reject|drop-lru|shed-low-priority
enum class EngineProtocol { OpenAI, LlamaCpp };  // openai|llamacpp

struct Limits {
  std::uint32_t max_header_bytes = 16384;
  std::uint64_t max_body_bytes = 8388608;  // uint64
  std::uint32_t stall_timeout_ms = 30000;
  std::uint32_t connect_timeout_ms = 2000;
  std::uint32_t first_byte_timeout_ms = 120000;
  std::uint32_t max_connections = 20000;
  std::uint32_t idle_timeout_ms = 60000;
  // How long an endpoint removed by a reload may finish its running requests before they are
  // ended with endpoint_removed.
  std::uint32_t endpoint_drain_ms = 30000;
};

struct Queue {
  std::uint32_t capacity = 1024;
  OverflowPolicy policy = OverflowPolicy::Reject;
  std::uint32_t position_interval_ms = 1000;
};

struct Health {
  std::uint32_t interval_ms = 1000;
  std::uint32_t timeout_ms = 1000;
  std::uint32_t healthy_after = 2;
  std::uint32_t unhealthy_after = 3;
};

// The soonest an endpoint that fails its probes can be ready again: `healthy_after` good probes,
// each a quarter interval apart (unready endpoints are probed four times as often, at least every
// 50 ms). What a client refused with pool_unavailable is told to wait (Retry-After).
[[nodiscard]] inline std::uint32_t soonest_recovery_ms(const Health& health) noexcept {
  const std::uint32_t probe_every = health.interval_ms / 4 > 50 ? health.interval_ms / 4 : 50;
  return probe_every * (health.healthy_after == 0 ? 1 : health.healthy_after);
}

struct Breaker {
  std::uint32_t failure_threshold = 5;
  std::uint32_t open_ms = 5000;
  // The most of a model's ready endpoints that open breakers may take out at once (rounded
  // down, never the last one); beyond it, endpoints keep serving (panic routing).
  std::uint32_t max_ejection_percent = 50;
};

struct Retry {
  std::uint32_t max_attempts = 3;
  std::uint32_t backoff_base_ms = 20;
  std::uint32_t backoff_max_ms = 200;
};

struct Sessions {
  std::uint32_t ttl_ms = 600000;
  std::uint32_t max_entries = 100000;
};

// The native task API: what a task keeps, for how long, and how many the server holds.
struct Tasks {
  std::uint32_t max_frames = 4096;          // frames kept per task (the oldest go first)
  std::uint32_t max_frame_bytes = 1048576;  // bytes of frames kept per task
  std::uint32_t retention_ms = 60000;       // how long a finished task is kept
  std::uint32_t max_tasks = 100000;         // queued, running and retained, together
};

// The admin routes (POST /admin/reload) answer only a client that sends
// `Authorization: Bearer <token>`; with no token configured they are disabled.
inline constexpr std::size_t kMinAdminTokenBytes = 16;
struct Admin {
  std::string token;
};

struct Pool {
  std::string id;
  std::vector<std::string> models;
  EngineProtocol engine = EngineProtocol::OpenAI;
  std::vector<Endpoint> endpoints;
  std::uint32_t slots = 8;
  std::uint32_t ctx_max = 8192;
  std::string health_path = "/health";
};

struct Config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::uint32_t threads = 0;
  Limits limits;
  Queue queue;
  Health health;
  Breaker breaker;
  Retry retry;
  Sessions sessions;
  Tasks tasks;
  std::vector<Pool> pools;
  Admin admin;
  std::string log_level = "info";  // trace|debug|info|warn|error|off
  std::string source;              // file name the config came from, or "<embedded demo>"
};

// The source name to pass to parse_config for demo_config_yaml().
inline constexpr std::string_view kDemoConfigSource = "<embedded demo>";

// Reads and parses the file at `path` (source name = path). A missing or unreadable file is an
// error naming the path and the reason.
[[nodiscard]] sy::Result<Config> load_config_file(const std::string& path);

// Parses YAML text; `source_name` goes into messages and Config::source. Empty text (or only
// comments) gives the defaults with no pools. More than one YAML document is an error.
[[nodiscard]] sy::Result<Config> parse_config(std::string_view yaml_text, std::string source_name);

// The embedded default: listen 127.0.0.1:8080, queue 1024 reject, one pool "demo" serving
// sim-model over openai at http://127.0.0.1:9101 and http://127.0.0.1:9102, slots 8, ctx_max 8192.
[[nodiscard]] std::string_view demo_config_yaml();

// Names used in YAML for the enums (for messages and logs).
[[nodiscard]] std::string_view to_string(OverflowPolicy policy) noexcept;
[[nodiscard]] std::string_view to_string(EngineProtocol engine) noexcept;

}  // namespace sy::config
