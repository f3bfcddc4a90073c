#pragma once
// The JSON report bench prints at the end of a run. Pure.

#include <optional>
#include <string>

#include "bench/bench_run.hpp"
#include "bench/sim_stats_probe.hpp"

namespace sy::bench {

// Appends the report object for `run` (sorting its samples). `disconnects` adds
// disconnect_to_upstream_close_ms when it was measured; `duration_s` is the run's wall time.
void append_bench_report(std::string& out, BenchRun& run, double duration_s,
                         DisconnectTiming* disconnects, const std::string& disconnect_problem);

}  // namespace sy::bench
