#pragma once
// SimServer: the `switchyard sim` process. N worker threads, each with its own io_context; one
// acceptor (on worker 0) hands each accepted connection to the next worker round-robin, where it
// stays for life. The slot pool and stats are shared (thread-safe); everything else is per worker.
//
// Lifecycle (all on the thread that owns the SimServer): construct → bind() → run() → destroy.
// stop() may be called from any thread (and is called on SIGINT/SIGTERM when run() handles them).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sim/sim_config.hpp"
#include "sim/sim_stats.hpp"
#include "sim/sim_worker.hpp"
#include "sim/slot_pool.hpp"

namespace sy::sim {

// Checks a SimConfig; returns an empty string when valid, otherwise a message naming the flag.
[[nodiscard]] std::string validate_sim_config(const SimConfig& config);

class SimServer {
 public:
  // `config` must be valid (validate_sim_config).
  explicit SimServer(SimConfig config);
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;
  ~SimServer();

  // Resolves and binds config.listen and starts listening. Returns the bound port.
  // Throws boost::system::system_error when the address cannot be bound (startup only).
  std::uint16_t bind();

  // Serves until stop() (or SIGINT/SIGTERM when `handle_signals`). Blocks; worker 0 runs on the
  // calling thread, workers 1..N-1 on threads of their own. Returns after every thread joined and
  // every connection was closed.
  void run(bool handle_signals);

  // Thread-safe; idempotent.
  void stop();

 private:
  struct Worker;

  void shutdown_workers();

  SimConfig config_;
  SlotPool pool_;
  SimStats stats_;
  std::atomic<std::uint64_t> response_numbers_{0};
  std::vector<std::unique_ptr<Worker>> workers_;
  // Bound to workers_[0]'s io_context; destroyed before it (declared after workers_).
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::optional<boost::asio::signal_set> signals_;
  std::atomic<bool> stopping_{false};
};

// The whole `switchyard sim` verb: validates, binds, prints {"event":"listening","port":N} to
// stdout, serves until SIGINT/SIGTERM. Returns the process exit code (0 on a clean stop, 1 when
// binding fails, 2 for a bad configuration).
int run_sim(const SimConfig& config);

}  // namespace sy::sim
