#pragma once
// Every metric `switchyard serve` exports, declared once. Hot-path metrics live in one
// WorkerMetrics shard per I/O thread (single writer); control-plane gauges live in
// ControlGauges (written by the control thread). render_metrics() sums the shards at scrape.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "telemetry/metric_types.hpp"

namespace sy::telemetry {

enum class Route : std::uint8_t {
  ChatCompletions,
  Completions,
  Models,
  Health,
  Ready,
  Metrics,
  AdminReload,
  TaskSubmit,    // POST /v1/tasks
  TaskStatus,    // GET /v1/tasks/{id}
  TaskStream,    // GET /v1/tasks/{id}/stream
  TaskCancel,    // POST /v1/tasks/{id}/cancel
  TaskRun,       // a task's own run through the pipeline (its outcome: 200, 499 when canceled...)
  OpenApi,       // GET /openapi.yaml
  Capabilities,  // GET /v1/capabilities
  Pools,         // GET /v1/pools
  PoolHealth,    // GET /v1/pools/{id}/health
  Other,
  kCount
};
[[nodiscard]] std::string_view route_label(Route r) noexcept;

// The status codes we count individually; anything else lands in "other".
inline constexpr std::array<int, 21> kCountedStatuses = {200, 202, 204, 400, 401, 403, 404,
                                                         405, 408, 409, 410, 413, 422, 429,
                                                         431, 499, 500, 502, 503, 504, 0};
[[nodiscard]] std::size_t status_slot(int status) noexcept;

enum class UpstreamErrorKind : std::uint8_t {
  Connect,
  Timeout,
  Status5xx,
  Reset,
  Stalled,
  Protocol,
  Backpressure,  // the engine answered 429 or 503: full, not broken
  kCount
};
[[nodiscard]] std::string_view upstream_error_label(UpstreamErrorKind k) noexcept;

struct WorkerMetrics {
  WorkerMetrics();
  std::array<std::array<telemetry::Counter, kCountedStatuses.size()>,
             static_cast<std::size_t>(Route::kCount)>
      requests;
  telemetry::Histogram ttft;
  telemetry::Histogram inter_token;
  telemetry::Histogram queue_wait;
  telemetry::Histogram disconnect_to_upstream_close;
  telemetry::Counter tokens_in;
  telemetry::Counter tokens_out;
  telemetry::Gauge active_streams;
  telemetry::Gauge open_connections;
  std::array<telemetry::Counter, static_cast<std::size_t>(UpstreamErrorKind::kCount)>
      upstream_errors;
  telemetry::Counter client_disconnects;
  telemetry::Counter tokens_after_client_left;
  telemetry::Counter connections_handed_over;  // moved to the thread of the task they asked for
  // Retries that went out to another endpoint, by the failure that caused them.
  std::array<telemetry::Counter, static_cast<std::size_t>(UpstreamErrorKind::kCount)> retries;
  telemetry::Counter deadline_exceeded;

  void count_request(Route r, int status) noexcept {
    requests[static_cast<std::size_t>(r)][status_slot(status)].inc();
  }
  void count_upstream_error(UpstreamErrorKind k) noexcept {
    upstream_errors[static_cast<std::size_t>(k)].inc();
  }
  void count_retry(UpstreamErrorKind reason) noexcept {
    retries[static_cast<std::size_t>(reason)].inc();
  }
};

// Gauges owned by the control thread, sized at startup from the configuration.
struct ControlGauges {
  struct ModelQueue {
    std::string model;
    std::array<std::atomic<std::int64_t>, 2> depth{};  // by Priority
  };
  struct Endpoint {
    std::string pool;
    std::string url;
    std::atomic<int> breaker{0};  // 0 closed, 1 open, 2 half-open
    std::atomic<int> ready{0};
    std::atomic<std::int64_t> in_flight{0};
    std::atomic<int> panic{0};  // 1: breaker open, but the ejection cap keeps it serving
  };
  // The lists follow the registry: the control thread replaces them under `lists_mutex` (and
  // reads them without it, being their only writer); the renderer copies them under it. Not on
  // the data path: a scrape takes the mutex, no request does.
  mutable std::mutex lists_mutex;
  std::vector<std::shared_ptr<ModelQueue>> queues;
  std::vector<std::shared_ptr<Endpoint>> endpoints;
  std::atomic<std::uint64_t> snapshot_version{0};
  std::atomic<std::uint64_t> rejected_queue_full{0};
  // Breaker transitions by the state entered: closed, open, half-open.
  std::array<std::atomic<std::uint64_t>, 3> breaker_transitions{};
  std::atomic<std::uint64_t> panic_routed{0};
};

// Prometheus text for all shards plus the control gauges.
[[nodiscard]] std::string render_metrics(std::span<const WorkerMetrics* const> shards,
                                         const ControlGauges& gauges);

}  // namespace sy::telemetry
