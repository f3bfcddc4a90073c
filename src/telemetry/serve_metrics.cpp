#include "telemetry/serve_metrics.hpp"

#include <fmt/format.h>

#include "telemetry/exposition.hpp"

namespace sy::telemetry {
namespace {

using telemetry::Label;
using telemetry::make_bounds;

const telemetry::HistogramBounds kLatencyBounds = make_bounds(
    {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30});
const telemetry::HistogramBounds kTokenGapBounds = make_bounds(
    {0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5});
const telemetry::HistogramBounds kCancelBounds =
    make_bounds({0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.1, 1});

template <typename Get>
std::uint64_t sum_counter(std::span<const WorkerMetrics* const> shards, Get get) {
  std::uint64_t total = 0;
  for (const WorkerMetrics* s : shards) total += get(*s).value();
  return total;
}

template <typename Get>
std::int64_t sum_gauge(std::span<const WorkerMetrics* const> shards, Get get) {
  std::int64_t total = 0;
  for (const WorkerMetrics* s : shards) total += get(*s).value();
  return total;
}

template <typename Get>
void histogram(std::string& out, std::span<const WorkerMetrics* const> shards,
               std::string_view name, std::string_view help, Get get) {
  std::vector<const telemetry::Histogram*> hs;
  for (const WorkerMetrics* s : shards) hs.push_back(&get(*s));
  telemetry::write_header(out, name, "histogram", help);
  telemetry::write_histogram(out, name, {}, hs);
}

}  // namespace

std::string_view route_label(Route r) noexcept {
  switch (r) {
    case Route::ChatCompletions:
      return "/v1/chat/completions";
    case Route::Completions:
      return "/v1/completions";
    case Route::Models:
      return "/v1/models";
    case Route::Health:
      return "/health";
    case Route::Ready:
      return "/ready";
    case Route::Metrics:
      return "/metrics";
    case Route::AdminReload:
      return "/admin/reload";
    case Route::TaskSubmit:
      return "/v1/tasks";
    case Route::TaskStatus:
      return "/v1/tasks/{id}";
    case Route::TaskStream:
      return "/v1/tasks/{id}/stream";
    case Route::TaskCancel:
      return "/v1/tasks/{id}/cancel";
    case Route::TaskRun:
      return "task";
    case Route::OpenApi:
      return "/openapi.yaml";
    case Route::Capabilities:
      return "/v1/capabilities";
    case Route::Pools:
      return "/v1/pools";
    case Route::PoolHealth:
      return "/v1/pools/{id}/health";
    default:
      return "other";
  }
}

std::size_t status_slot(int status) noexcept {
  for (std::size_t i = 0; i + 1 < kCountedStatuses.size(); ++i) {
    if (kCountedStatuses[i] == status) return i;
  }
  return kCountedStatuses.size() - 1;
}

std::string_view upstream_error_label(UpstreamErrorKind k) noexcept {
  switch (k) {
    case UpstreamErrorKind::Connect:
      return "connect";
    case UpstreamErrorKind::Timeout:
      return "timeout";
    case UpstreamErrorKind::Status5xx:
      return "status_5xx";
    case UpstreamErrorKind::Reset:
      return "reset";
    case UpstreamErrorKind::Stalled:
      return "stalled";
    case UpstreamErrorKind::Protocol:
      return "protocol";
    case UpstreamErrorKind::Backpressure:
      return "backpressure";
    default:
      return "other";
  }
}

WorkerMetrics::WorkerMetrics()
    : ttft(kLatencyBounds),
      inter_token(kTokenGapBounds),
      queue_wait(kLatencyBounds),
      disconnect_to_upstream_close(kCancelBounds) {}

std::string render_metrics(std::span<const WorkerMetrics* const> shards, const ControlGauges& g) {
  std::vector<std::shared_ptr<ControlGauges::ModelQueue>> queues;
  std::vector<std::shared_ptr<ControlGauges::Endpoint>> endpoints;
  {
    std::lock_guard lock(g.lists_mutex);
    queues = g.queues;
    endpoints = g.endpoints;
  }
  std::string out;
  out.reserve(16384);
  using telemetry::write_header;
  using telemetry::write_sample;

  write_header(out, "switchyard_requests_total", "counter",
               "HTTP requests answered, by route and status.");
  for (std::size_t r = 0; r < static_cast<std::size_t>(Route::kCount); ++r) {
    for (std::size_t s = 0; s < kCountedStatuses.size(); ++s) {
      const std::uint64_t v = sum_counter(
          shards, [&](const WorkerMetrics& m) -> const auto& { return m.requests[r][s]; });
      if (v == 0) continue;
      const std::string status =
          kCountedStatuses[s] ? fmt::format("{}", kCountedStatuses[s]) : "other";
      const Label labels[] = {{"route", route_label(static_cast<Route>(r))}, {"status", status}};
      write_sample(out, "switchyard_requests_total", labels, v);
    }
  }

  write_header(out, "switchyard_queue_depth", "gauge",
               "Requests waiting for a slot, by model and priority.");
  for (const auto& q : queues) {
    static constexpr std::string_view kPrio[] = {"interactive", "batch"};
    for (std::size_t p = 0; p < 2; ++p) {
      const Label labels[] = {{"model", q->model}, {"priority", kPrio[p]}};
      write_sample(out, "switchyard_queue_depth", labels,
                   q->depth[p].load(std::memory_order_relaxed));
    }
  }

  histogram(
      out, shards, "switchyard_time_to_first_token_seconds",
      "Time from request arrival to the first token sent to the client.",
      [](const WorkerMetrics& m) -> const auto& { return m.ttft; });
  histogram(
      out, shards, "switchyard_inter_token_latency_seconds",
      "Gap between consecutive tokens relayed to a client.",
      [](const WorkerMetrics& m) -> const auto& { return m.inter_token; });
  histogram(
      out, shards, "switchyard_queue_wait_seconds", "Time a request waited for a slot.",
      [](const WorkerMetrics& m) -> const auto& { return m.queue_wait; });
  histogram(
      out, shards, "switchyard_client_disconnect_to_upstream_close_seconds",
      "Time from noticing a client disconnect to closing the engine connection.",
      [](const WorkerMetrics& m) -> const auto& { return m.disconnect_to_upstream_close; });

  write_header(out, "switchyard_tokens_in_total", "counter",
               "Prompt tokens (engine-reported, else estimated).");
  write_sample(out, "switchyard_tokens_in_total", {},
               sum_counter(
                   shards, [](const WorkerMetrics& m) -> const auto& { return m.tokens_in; }));
  write_header(out, "switchyard_tokens_out_total", "counter",
               "Completion tokens relayed to clients.");
  write_sample(out, "switchyard_tokens_out_total", {},
               sum_counter(
                   shards, [](const WorkerMetrics& m) -> const auto& { return m.tokens_out; }));
  write_header(out, "switchyard_active_streams", "gauge",
               "Requests currently being served by an engine.");
  write_sample(out, "switchyard_active_streams", {},
               sum_gauge(
                   shards, [](const WorkerMetrics& m) -> const auto& { return m.active_streams; }));
  write_header(out, "switchyard_open_connections", "gauge", "Client connections currently open.");
  write_sample(
      out, "switchyard_open_connections", {},
      sum_gauge(
          shards, [](const WorkerMetrics& m) -> const auto& { return m.open_connections; }));

  write_header(out, "switchyard_upstream_errors_total", "counter",
               "Failures talking to engines, by kind.");
  for (std::size_t k = 0; k < static_cast<std::size_t>(UpstreamErrorKind::kCount); ++k) {
    const Label labels[] = {{"kind", upstream_error_label(static_cast<UpstreamErrorKind>(k))}};
    write_sample(
        out, "switchyard_upstream_errors_total", labels,
        sum_counter(
            shards, [&](const WorkerMetrics& m) -> const auto& { return m.upstream_errors[k]; }));
  }
  write_header(out, "switchyard_client_disconnects_total", "counter",
               "Clients that left before their response ended.");
  write_sample(
      out, "switchyard_client_disconnects_total", {},
      sum_counter(
          shards, [](const WorkerMetrics& m) -> const auto& { return m.client_disconnects; }));
  write_header(out, "switchyard_tokens_after_client_left_total", "counter",
               "Tokens the engine sent after the client had gone (wasted engine work).");
  write_sample(out, "switchyard_tokens_after_client_left_total", {},
               sum_counter(
                   shards, [](const WorkerMetrics& m) -> const auto& {
                     return m.tokens_after_client_left;
                   }));
  write_header(out, "switchyard_connections_handed_over_total", "counter",
               "Client connections moved to the I/O thread of the task they asked for.");
  write_sample(
      out, "switchyard_connections_handed_over_total", {},
      sum_counter(
          shards, [](const WorkerMetrics& m) -> const auto& { return m.connections_handed_over; }));
  write_header(out, "switchyard_upstream_retries_total", "counter",
               "Attempts sent to another endpoint after a failure, by the failure's kind.");
  for (const UpstreamErrorKind kind :
       {UpstreamErrorKind::Connect, UpstreamErrorKind::Timeout, UpstreamErrorKind::Status5xx,
        UpstreamErrorKind::Reset, UpstreamErrorKind::Protocol, UpstreamErrorKind::Backpressure}) {
    const auto k = static_cast<std::size_t>(kind);
    const Label labels[] = {{"reason", upstream_error_label(kind)}};
    write_sample(out, "switchyard_upstream_retries_total", labels,
                 sum_counter(
                     shards, [&](const WorkerMetrics& m) -> const auto& { return m.retries[k]; }));
  }
  write_header(out, "switchyard_deadline_exceeded_total", "counter",
               "Requests that ran out of time.");
  write_sample(
      out, "switchyard_deadline_exceeded_total", {},
      sum_counter(
          shards, [](const WorkerMetrics& m) -> const auto& { return m.deadline_exceeded; }));
  write_header(out, "switchyard_queue_rejections_total", "counter",
               "Requests refused or evicted because a queue was full.");
  write_sample(out, "switchyard_queue_rejections_total", {},
               g.rejected_queue_full.load(std::memory_order_relaxed));

  write_header(out, "switchyard_endpoint_breaker_state", "gauge",
               "Circuit breaker per endpoint: 0 closed, 1 open, 2 half-open.");
  for (const auto& e : endpoints) {
    const Label labels[] = {{"pool", e->pool}, {"endpoint", e->url}};
    write_sample(out, "switchyard_endpoint_breaker_state", labels,
                 static_cast<std::int64_t>(e->breaker.load()));
  }
  write_header(out, "switchyard_breaker_transitions_total", "counter",
               "Circuit breaker state changes, by the state entered.");
  {
    static constexpr std::string_view kStates[] = {"closed", "open", "half_open"};
    for (std::size_t i = 0; i < 3; ++i) {
      const Label labels[] = {{"to", kStates[i]}};
      write_sample(out, "switchyard_breaker_transitions_total", labels,
                   g.breaker_transitions[i].load(std::memory_order_relaxed));
    }
  }
  write_header(out, "switchyard_endpoint_panic", "gauge",
               "1 when the endpoint's breaker is open but the ejection cap keeps it serving.");
  for (const auto& e : endpoints) {
    const Label labels[] = {{"pool", e->pool}, {"endpoint", e->url}};
    write_sample(out, "switchyard_endpoint_panic", labels,
                 static_cast<std::int64_t>(e->panic.load()));
  }
  write_header(out, "switchyard_panic_routed_total", "counter",
               "Requests placed on an endpoint whose breaker is open, because ejecting it would "
               "exceed breaker.max_ejection_percent.");
  write_sample(out, "switchyard_panic_routed_total", {},
               g.panic_routed.load(std::memory_order_relaxed));
  write_header(out, "switchyard_endpoint_ready", "gauge",
               "1 when the endpoint passes its health probes.");
  for (const auto& e : endpoints) {
    const Label labels[] = {{"pool", e->pool}, {"endpoint", e->url}};
    write_sample(out, "switchyard_endpoint_ready", labels,
                 static_cast<std::int64_t>(e->ready.load()));
  }
  write_header(out, "switchyard_endpoint_in_flight", "gauge", "Requests running on the endpoint.");
  for (const auto& e : endpoints) {
    const Label labels[] = {{"pool", e->pool}, {"endpoint", e->url}};
    write_sample(out, "switchyard_endpoint_in_flight", labels, e->in_flight.load());
  }
  write_header(out, "switchyard_registry_snapshot_version", "gauge",
               "Version of the published registry snapshot.");
  write_sample(out, "switchyard_registry_snapshot_version", {}, g.snapshot_version.load());
  return out;
}

}  // namespace sy::telemetry
