#pragma once
// run_bench: the whole `switchyard bench` verb. Validates the settings, runs `concurrency`
// BenchWorkers on one io_context (the calling thread), optionally matches disconnects against a
// simulator's /sim/stats, and prints one JSON report to stdout.

#include <string>

#include "bench/bench_config.hpp"

namespace sy::bench {

// Returns an empty string when valid, else a message naming the flag.
[[nodiscard]] std::string validate_bench_config(const BenchConfig& config);

// Returns the process exit code: 0 when the run happened (even with request errors), 2 for bad
// settings (message on stderr).
int run_bench(const BenchConfig& config);

}  // namespace sy::bench
