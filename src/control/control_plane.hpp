#pragma once
// ControlPlane: the single owner of global mutable state — admission queues, in-flight counts,
// breakers, session affinity (all in Scheduler) and endpoint health. It runs on its
// own io_context thread. I/O threads reach it only through the post-based methods below, which
// are safe to call from any thread, and read the registry through lock-free snapshots.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/snapshot_cell.hpp"
#include "config/config.hpp"
#include "control/admission_waiter.hpp"
#include "control/endpoint_info.hpp"
#include "control/scheduler.hpp"
#include "placement/health_tracker.hpp"
#include "telemetry/serve_metrics.hpp"

namespace sy::control {

class ControlPlane {
 public:
  ControlPlane(boost::asio::io_context& control, const config::Config& config,
               telemetry::ControlGauges& gauges);
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  // Starts the periodic scheduler poll (on the control thread).
  void start();
  // Stops the poll; queued waiters are answered ShuttingDown.
  void stop();

  // --- control thread: health probes (http/health_prober.hpp runs them) ---
  // A probe of `endpoint` passed (ok) or failed; readiness follows the hysteresis.
  void on_probe_result(std::uint32_t endpoint, bool ok);
  // How long to wait before probing `endpoint` again.
  [[nodiscard]] std::uint32_t probe_interval_ms(std::uint32_t endpoint) const;

  // --- any thread ---
  // The latest registry snapshot. Takes a mutex: I/O threads read through their Worker's
  // cached reader instead (Worker::registry()), which is one atomic load while nothing changed.
  [[nodiscard]] std::shared_ptr<const placement::RegistrySnapshot> snapshot() const {
    return snapshot_.load();
  }
  [[nodiscard]] const SnapshotCell<placement::RegistrySnapshot>& registry_cell() const noexcept {
    return snapshot_;
  }
  [[nodiscard]] const std::vector<EndpointInfo>& endpoints() const noexcept { return endpoints_; }
  // The shared slot counts I/O threads claim free slots on (control::claim_free_slot); such a
  // claim is ended with release() like any grant.
  [[nodiscard]] const std::shared_ptr<SlotBoard>& board() const noexcept { return board_; }
  [[nodiscard]] std::uint64_t next_ticket_id() noexcept {
    return next_id_.fetch_add(1, std::memory_order_relaxed);
  }
  // Asks for a slot; the answer arrives on waiter->executor (Granted / Rejected, or `queued`
  // with a position, then later Granted / Rejected).
  void submit(Ticket ticket, std::shared_ptr<AdmissionWaiter> waiter);
  // A request on `endpoint` finished; ok=false counts against the endpoint's breaker.
  void release(std::uint32_t endpoint, bool ok);
  // A slot granted (or claimed) but never used to reach the engine: frees it without a breaker
  // verdict.
  void release_unused(std::uint32_t endpoint);
  // The waiter gave up (deadline, client gone). If it was already granted, the grant's
  // completion sees State::Abandoned and releases the slot.
  void cancel(std::uint64_t id);
  // Refreshes waiter->position (posted back to the waiter's executor).
  void query_position(std::uint64_t id, std::shared_ptr<AdmissionWaiter> waiter);

 private:
  struct Pending {
    std::shared_ptr<AdmissionWaiter> waiter;
  };

  void publish_snapshot();
  void dispatch_all(const std::vector<Dispatch>& dispatches);
  void grant(std::shared_ptr<AdmissionWaiter> waiter, std::uint32_t endpoint);
  void reject(std::shared_ptr<AdmissionWaiter> waiter, Error error);
  void refresh_gauges();
  // Counts and logs breaker transitions and panic-routing changes seen since the last call; true
  // when the published snapshot no longer matches (a breaker state or ejection changed).
  bool observe_breakers(TimePoint now);
  // Answers 503 to queued requests whose model no ready pool serves any more.
  void reject_unready();
  void schedule_poll();

  boost::asio::io_context& control_;
  const config::Config& config_;
  telemetry::ControlGauges& gauges_;
  std::vector<EndpointInfo> endpoints_;
  std::vector<placement::HealthTracker> health_;
  std::vector<placement::PoolSnapshot> pools_;
  SnapshotCell<placement::RegistrySnapshot> snapshot_;
  std::uint64_t version_ = 0;
  std::unique_ptr<Scheduler> scheduler_;
  std::shared_ptr<SlotBoard> board_;  // set once in the constructor
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::atomic<std::uint64_t> next_id_{1};
  boost::asio::steady_timer poll_timer_;
  bool stopped_ = false;
  std::vector<placement::BreakerState> observed_breaker_;  // by endpoint, as last logged
  std::vector<bool> observed_panic_;                       // by endpoint, as last logged
};

}  // namespace sy::control
