#pragma once
// After a run with --disconnect-after-tokens and --sim-stats: fetch the simulator's /sim/stats and
// time each deliberate disconnect from the client's close() to the moment the simulator noticed
// its upstream connection close (at_ns in the sim's disconnect ring; both sides read
// CLOCK_MONOTONIC on the same host).

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/latency_samples.hpp"
#include "common/error.hpp"

namespace sy::bench {

struct DisconnectTiming {
  LatencySamples latency{1'000'000, 4096};  // (sim at_ns - client close ns), matched pairs
  std::uint64_t unmatched = 0;              // our disconnects absent from the sim's ring
};

// GETs `url` (http://host:port[/path]; path defaults to /sim/stats) and returns the body.
// Runs on the caller's executor. Errors: a message naming what failed.
[[nodiscard]] boost::asio::awaitable<Result<std::string>> fetch_http_body(std::string url,
                                                                          std::int64_t timeout_ms);

// Matches the `disconnects` of a /sim/stats document against close_ns (indexed by request number;
// 0 = not disconnected) for correlation ids "bench-<run_id>-<i>". Pure.
[[nodiscard]] Result<DisconnectTiming> match_disconnects(std::string stats_json,
                                                         const std::string& run_id,
                                                         const std::vector<std::int64_t>& close_ns);

}  // namespace sy::bench
