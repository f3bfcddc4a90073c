#pragma once
// What the request pipeline needs from its surroundings, passed in explicitly: the I/O thread's
// metric shard, engine connections, exchange list and read buffer; the control plane (admission,
// releases, the registry); the server's drain state; the clock. One per I/O thread, built by the
// thread that owns it (http/worker.hpp); requests hold its address. Every pointer outlives the
// requests that use it. (The configuration a request runs under is its own: RequestInfo.)

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/clock.hpp"
#include "common/snapshot_cell.hpp"
#include "config/config.hpp"
#include "control/control_plane.hpp"
#include "control/registry.hpp"
#include "relay/engine_connection.hpp"
#include "relay/live_exchanges.hpp"
#include "relay/thread_timers.hpp"
#include "telemetry/serve_metrics.hpp"

namespace sy::relay {

struct RelayDeps {
  boost::asio::any_io_executor executor;        // the request's I/O thread
  telemetry::WorkerMetrics* metrics = nullptr;  // this thread's shard
  control::ControlPlane* control = nullptr;
  EngineConnector* engines = nullptr;  // this thread's engine connections
  LiveExchanges* live = nullptr;       // this thread's exchanges (ended on shutdown)
  ThreadTimers* timers = nullptr;      // this thread's deadlines (stall, deadline, recheck)
  SnapshotCell<control::Registry>::Reader* registry_reader = nullptr;  // this thread's
  std::span<char> read_buffer;  // this thread's engine read buffer (shared by its streams)
  // This thread's output buffer for a stream's encoded events (shared by its streams: what one
  // read produced is written out before the stream next suspends).
  std::string* output_buffer = nullptr;
  const std::atomic<bool>* draining = nullptr;
  std::atomic<std::int64_t>* active_requests = nullptr;  // requests inside an engine exchange
  // The pipeline's clock: every time it reads goes through here, so a test can drive it. (Timers
  // run on the executor's steady clock, as Clock::now() is by default.)
  TimePoint (*clock)() noexcept = &Clock::now;

  [[nodiscard]] TimePoint now() const noexcept { return clock(); }

  // The latest registry snapshot: one atomic load while it does not change.
  [[nodiscard]] std::shared_ptr<const control::Registry> registry() const {
    return registry_reader->get(control->registry_cell());
  }
};

}  // namespace sy::relay
