#include "bench/bench_report.hpp"

#include <cmath>

#include "common/json_writer.hpp"

namespace sy::bench {
namespace {

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

void write_percentiles(JsonWriter& w, std::string_view name, LatencySamples& samples,
                       bool with_extras) {
  const Percentiles p = samples.percentiles();
  w.key(name).begin_object();
  w.field("p50", round3(p.p50_ms)).field("p90", round3(p.p90_ms)).field("p99", round3(p.p99_ms));
  w.field("max", round3(p.max_ms));
  if (with_extras) w.field("min", round3(p.min_ms)).field("count", p.count);
  w.end_object();
}

}  // namespace

void append_bench_report(std::string& out, BenchRun& run, double duration_s,
                         DisconnectTiming* disconnects, const std::string& disconnect_problem) {
  const double seconds = duration_s > 0 ? duration_s : 1e-9;
  JsonWriter w(out);
  w.begin_object();
  w.field("requests", run.requests_done);
  w.field("ok", run.ok);
  w.field("errors", run.errors);
  if (run.config.disconnect_after_tokens > 0) w.field("client_disconnects", run.client_disconnects);
  w.key("error_kinds").begin_object();
  for (const auto& [kind, count] : run.error_kinds) w.field(kind, count);
  w.end_object();
  w.field("duration_s", round3(duration_s));
  w.field("req_per_s", round3(static_cast<double>(run.requests_done) / seconds));
  w.field("tokens", run.tokens);
  w.field("tokens_per_s", round3(static_cast<double>(run.tokens) / seconds));
  write_percentiles(w, "ttft_ms", run.ttft, false);
  write_percentiles(w, "itl_ms", run.itl, false);
  if (disconnects != nullptr) {
    write_percentiles(w, "disconnect_to_upstream_close_ms", disconnects->latency, true);
    w.field("disconnects_unmatched", disconnects->unmatched);
  } else if (!disconnect_problem.empty()) {
    w.field("disconnect_measurement_error", std::string_view(disconnect_problem));
  }
  w.key("status_counts").begin_object();
  for (const auto& [status, count] : run.status_counts) w.field(std::to_string(status), count);
  w.end_object();
  w.end_object();
}

}  // namespace sy::bench
