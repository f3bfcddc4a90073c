#pragma once
// SimStats: the simulator's counters and its ring of recent client disconnects.
// Counters live in per-worker shards (one writer thread each, relaxed atomics so any thread may
// read them at scrape time and /sim/reset may zero them); the disconnect ring takes a mutex, once
// per disconnect. Gauges (active, waiting, max_active) come from the SlotPool.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sy::sim {

class SlotPool;

// One worker thread's counters. Only that thread increments them.
struct alignas(64) SimCounters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> completed{0};
  std::atomic<std::uint64_t> client_disconnects{0};
  std::atomic<std::uint64_t> tokens_sent{0};
  std::atomic<std::uint64_t> tokens_after_disconnect{0};

  static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) noexcept {
    counter.fetch_add(by, std::memory_order_relaxed);
  }
};

class SimStats {
 public:
  static constexpr std::size_t kRingSize = 4096;
  static constexpr std::size_t kMaxCorrelationId = 64;

  SimStats(std::size_t workers, const SlotPool& pool);
  SimStats(const SimStats&) = delete;
  SimStats& operator=(const SimStats&) = delete;

  [[nodiscard]] SimCounters& shard(std::size_t worker) noexcept { return *shards_[worker]; }

  // Records that the client of `correlation_id` (truncated to 64 bytes) went away, noticed at
  // `at_ns` (sy::monotonic_ns()). Thread-safe.
  void record_disconnect(SimCounters& shard, std::string_view correlation_id, std::int64_t at_ns);

  // Zeroes every counter and empties the ring. Thread-safe.
  void reset();

  // The /sim/stats JSON document and the /metrics Prometheus text. Thread-safe.
  void append_stats_json(std::string& out) const;
  void append_prometheus(std::string& out) const;

 private:
  struct Totals {
    std::uint64_t requests = 0, completed = 0, client_disconnects = 0, tokens_sent = 0,
                  tokens_after_disconnect = 0;
  };
  struct DisconnectRecord {
    std::array<char, kMaxCorrelationId> id{};
    std::uint8_t id_len = 0;
    std::int64_t at_ns = 0;
  };

  [[nodiscard]] Totals totals() const noexcept;

  std::vector<std::unique_ptr<SimCounters>> shards_;
  const SlotPool& pool_;
  mutable std::mutex ring_mutex_;
  std::vector<DisconnectRecord> ring_;  // kRingSize entries, written round-robin
  std::size_t ring_next_ = 0;           // guarded by ring_mutex_
  std::size_t ring_count_ = 0;          // guarded by ring_mutex_
};

}  // namespace sy::sim
