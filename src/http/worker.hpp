#pragma once
// The state shared by all I/O threads (ServerShared, read-mostly) and the state of one I/O
// thread (Worker). A connection lives on one Worker for its whole life.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config/config_source.hpp"
#include "control/control_plane.hpp"
#include "http/engine_connection.hpp"
#include "relay/live_exchanges.hpp"
#include "relay/relay_deps.hpp"
#include "tasks/task_directory.hpp"
#include "tasks/task_table.hpp"
#include "telemetry/serve_metrics.hpp"

namespace sy::http {

struct Worker;

struct ServerShared {
  const config::ConfigSource& source;  // what a reload re-reads
  control::ControlPlane& control;
  telemetry::ControlGauges& gauges;
  std::vector<const telemetry::WorkerMetrics*> all_metrics;  // filled before threads start
  std::atomic<bool> draining{false};
  std::atomic<std::int64_t> active_requests{0};
  std::int64_t started_unix_s = 0;
  // Which thread each native task lives on (bounded by tasks.max_tasks: queued, running and
  // retained tasks), and what each keeps (set from the configuration before the workers exist).
  tasks::TaskDirectory task_directory{config::Tasks{}.max_tasks};
  tasks::TaskLimits task_limits;
  std::vector<Worker*> workers;  // every I/O thread, by index; filled before threads start
};

struct Worker {
  Worker(ServerShared& shared_state, std::uint32_t thread_index)
      : shared(shared_state),
        index(thread_index),
        io(1),
        engines(io.get_executor(), timers, 256),
        tasks(shared_state.task_directory, timers, shared_state.task_limits, &unix_ms_now) {
    relay_deps_.executor = io.get_executor();
    relay_deps_.metrics = &metrics;
    relay_deps_.control = &shared.control;
    relay_deps_.engines = &engines;
    relay_deps_.live = &live;
    timers.bind(io.get_executor());
    relay_deps_.timers = &timers;
    relay_deps_.registry_reader = &registry_reader_;
    relay_deps_.read_buffer = {relay_buffer_.get(), kRelayBufferBytes};
    relay_deps_.output_buffer = &relay_output_;
    relay_deps_.draining = &shared.draining;
    relay_deps_.active_requests = &shared.active_requests;
  }
  // The thread's timer goes before io does (the deadlines of coroutine frames that ~io_context
  // destroys are still cancelled in `timers`, which outlives io).
  ~Worker() { timers.shut_down(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The latest registry snapshot, read through this thread's cached reader (lock-free while the
  // registry does not change).
  [[nodiscard]] std::shared_ptr<const control::Registry> registry() {
    return registry_reader_.get(shared.control.registry_cell());
  }

  // What the request pipeline gets from this thread (relay/relay_deps.hpp).
  [[nodiscard]] const relay::RelayDeps& relay_deps() const noexcept { return relay_deps_; }

  ServerShared& shared;
  const std::uint32_t index;  // in shared.workers

 private:
  // The one buffer every relayed stream on this thread reads engine bytes into. A stream
  // processes what it read before it next suspends, so sharing is safe on one thread, and an idle
  // stream holds no read buffer at all. 16 KiB: one read carries many tokens of a fast stream.
  // (The buffers are declared before io, so they outlive the coroutines ~io_context destroys.)
  static constexpr std::size_t kRelayBufferBytes = 16 * 1024;
  SnapshotCell<control::Registry>::Reader registry_reader_;
  std::unique_ptr<char[]> relay_buffer_ = std::make_unique<char[]>(kRelayBufferBytes);
  // Where every stream on this thread encodes the client's bytes for one read, for the same
  // reason: it is written out before the stream next suspends (a write that cannot finish at
  // once keeps its own copy of the rest), so a waiting stream holds no output buffer.
  std::string relay_output_;
  // Filled in by the constructor; requests hold its address. (Before io, like the buffers.)
  relay::RelayDeps relay_deps_;

 public:
  // Declared before io: ~io_context destroys the coroutines still suspended on it, and their
  // registrations unlink from this list.
  relay::LiveExchanges live;   // exchanges talking to engines now (ended on shutdown)
  relay::ThreadTimers timers;  // this thread's deadlines: stall, deadline, idle (one Asio timer)
  boost::asio::io_context io;
  telemetry::WorkerMetrics metrics;
  Http1EngineConnector engines;  // this thread's engine connections and idle pool
  tasks::TaskTable tasks;        // the native tasks at home on this thread

  static std::int64_t unix_ms_now() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace sy::http
