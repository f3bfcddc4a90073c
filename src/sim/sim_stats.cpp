#include "sim/sim_stats.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "common/json_writer.hpp"
#include "sim/slot_pool.hpp"

namespace sy::sim {

SimStats::SimStats(std::size_t workers, const SlotPool& pool) : pool_(pool), ring_(kRingSize) {
  shards_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) shards_.push_back(std::make_unique<SimCounters>());
}

void SimStats::record_disconnect(SimCounters& shard, std::string_view correlation_id,
                                 std::int64_t at_ns) {
  SimCounters::bump(shard.client_disconnects);
  const std::size_t len = std::min(correlation_id.size(), kMaxCorrelationId);
  std::lock_guard lock(ring_mutex_);
  DisconnectRecord& record = ring_[ring_next_];
  std::memcpy(record.id.data(), correlation_id.data(), len);
  record.id_len = static_cast<std::uint8_t>(len);
  record.at_ns = at_ns;
  ring_next_ = (ring_next_ + 1) % kRingSize;
  ring_count_ = std::min(ring_count_ + 1, kRingSize);
}

void SimStats::reset() {
  for (auto& shard : shards_) {
    shard->requests.store(0, std::memory_order_relaxed);
    shard->completed.store(0, std::memory_order_relaxed);
    shard->client_disconnects.store(0, std::memory_order_relaxed);
    shard->tokens_sent.store(0, std::memory_order_relaxed);
    shard->tokens_after_disconnect.store(0, std::memory_order_relaxed);
  }
  {
    std::lock_guard lock(ring_mutex_);
    ring_next_ = 0;
    ring_count_ = 0;
  }
}

SimStats::Totals SimStats::totals() const noexcept {
  Totals t;
  for (const auto& shard : shards_) {
    t.requests += shard->requests.load(std::memory_order_relaxed);
    t.completed += shard->completed.load(std::memory_order_relaxed);
    t.client_disconnects += shard->client_disconnects.load(std::memory_order_relaxed);
    t.tokens_sent += shard->tokens_sent.load(std::memory_order_relaxed);
    t.tokens_after_disconnect += shard->tokens_after_disconnect.load(std::memory_order_relaxed);
  }
  return t;
}

void SimStats::append_stats_json(std::string& out) const {
  const Totals t = totals();
  const SlotPool::Gauges g = pool_.gauges();
  JsonWriter w(out);
  w.begin_object();
  w.field("requests_total", t.requests);
  w.field("active", g.active);
  w.field("waiting", g.waiting);
  w.field("completed", t.completed);
  w.field("client_disconnects", t.client_disconnects);
  w.field("tokens_sent", t.tokens_sent);
  w.field("tokens_after_disconnect", t.tokens_after_disconnect);
  w.field("max_active", g.max_active);
  w.key("disconnects").begin_array();
  {
    std::lock_guard lock(ring_mutex_);
    // Oldest first.
    const std::size_t first = (ring_next_ + kRingSize - ring_count_) % kRingSize;
    for (std::size_t k = 0; k < ring_count_; ++k) {
      const DisconnectRecord& record = ring_[(first + k) % kRingSize];
      w.begin_object();
      w.field("correlation_id", std::string_view(record.id.data(), record.id_len));
      w.field("at_ns", record.at_ns);
      w.end_object();
    }
  }
  w.end_array();
  w.end_object();
}

void SimStats::append_prometheus(std::string& out) const {
  const Totals t = totals();
  const SlotPool::Gauges g = pool_.gauges();
  auto metric = [&out](std::string_view name, std::string_view type, std::string_view help,
                       std::uint64_t value) {
    fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help,
                   type, value);
  };
  metric("sim_requests_total", "counter", "Generation requests received.", t.requests);
  metric("sim_active_streams", "gauge", "Requests holding a slot (generating).", g.active);
  metric("sim_waiting", "gauge", "Requests waiting for a slot.", g.waiting);
  metric("sim_tokens_sent_total", "counter", "Tokens written to clients.", t.tokens_sent);
  metric("sim_client_disconnects_total", "counter",
         "Clients that went away while waiting or generating.", t.client_disconnects);
  metric("sim_completed_total", "counter", "Generations that ran to the end.", t.completed);
}

}  // namespace sy::sim
