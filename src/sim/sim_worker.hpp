#pragma once
// SimWorker: what a connection needs from its worker thread: the shared read-only config, the
// shared slot pool and stats, this thread's counter shard and JSON parser.
// Owned by SimServer; one per worker thread; used only on that worker's thread (the pool and stats
// it points to are thread-safe).

#include <simdjson.h>

#include <atomic>
#include <cstdint>

#include "sim/sim_config.hpp"
#include "sim/sim_stats.hpp"
#include "sim/slot_pool.hpp"

namespace sy::sim {

struct SimWorker {
  SimWorker(const SimConfig& config_in, SlotPool& pool_in, SimStats& stats_in,
            SimCounters& counters_in, std::atomic<std::uint64_t>& response_numbers_in)
      : config(config_in),
        pool(pool_in),
        stats(stats_in),
        counters(counters_in),
        response_numbers(response_numbers_in) {}
  SimWorker(const SimWorker&) = delete;
  SimWorker& operator=(const SimWorker&) = delete;

  const SimConfig& config;
  SlotPool& pool;
  SimStats& stats;
  SimCounters& counters;                         // this thread's shard
  std::atomic<std::uint64_t>& response_numbers;  // shared: the n of chatcmpl-sim-<n>
  simdjson::ondemand::parser json;               // this thread's request parser
};

}  // namespace sy::sim
