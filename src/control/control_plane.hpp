#pragma once
// ControlPlane: the single owner of global mutable state — the registry of pools and endpoints,
// admission queues, in-flight counts, breakers, session affinity (all in Scheduler) and endpoint
// health. It runs on its own io_context thread. I/O threads reach it only through the post-based
// methods below, which are safe to call from any thread, and read the registry (configuration,
// placement view, endpoints) through lock-free snapshots.
//
// The registry changes at run time (apply(), reload()): endpoints keep their id while they stay
// configured; a new one gets a free id and starts unready until its probes pass; a removed one
// takes no new work, and its running requests finish, or are ended when the drain deadline
// (limits.endpoint_drain_ms) passes. Its id is reused only once nothing runs on it.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/snapshot_cell.hpp"
#include "config/config.hpp"
#include "config/config_source.hpp"
#include "control/admission_waiter.hpp"
#include "control/endpoint_info.hpp"
#include "control/registry.hpp"
#include "control/registry_observer.hpp"
#include "control/scheduler.hpp"
#include "placement/health_tracker.hpp"
#include "telemetry/serve_metrics.hpp"

namespace sy::control {

// What a reload (or apply) changed.
struct RegistryChange {
  std::size_t added = 0;
  std::size_t removed = 0;  // now draining
  std::size_t kept = 0;
};

class ControlPlane {
 public:
  ControlPlane(boost::asio::io_context& control, std::shared_ptr<const config::Config> config,
               telemetry::ControlGauges& gauges);
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  // Starts the periodic scheduler poll and tells `observer` (may be null) about every endpoint;
  // from then on it hears of every change. Call once, on the control thread or before it runs.
  void start(RegistryObserver* observer);
  // Stops the poll; queued waiters are answered ShuttingDown.
  void stop();

  // --- control thread ---
  // A probe of endpoint `id` (of `serial`) passed (ok) or failed; readiness follows the
  // hysteresis. Ignored when the endpoint is no longer probed.
  void on_probe_result(EndpointId id, std::uint64_t serial, bool ok);
  // How long to wait before probing `id` again.
  [[nodiscard]] std::uint32_t probe_interval_ms(EndpointId id) const;
  // True while endpoint `id` of `serial` is configured (not removed): its probes continue.
  [[nodiscard]] bool probed(EndpointId id, std::uint64_t serial) const noexcept;
  // Its facts as configured now (a reload may change its health path), or null once removed.
  [[nodiscard]] std::shared_ptr<const EndpointInfo> probed_endpoint(EndpointId id,
                                                                    std::uint64_t serial) const;
  // The configuration in force.
  [[nodiscard]] const config::Config& config() const noexcept { return *config_; }
  // Applies `next` (valid, and with no restart_only_changes against the running one).
  RegistryChange apply(std::shared_ptr<const config::Config> next);
  // Re-reads `source` and applies it when it is valid and needs no restart. Errors:
  // InvalidConfig (the loader's file:line:column message) or RestartRequired (naming the
  // settings); the running configuration stays in force either way. Logged.
  Result<RegistryChange> reload(const config::ConfigSource& source);

  // --- any thread ---
  [[nodiscard]] boost::asio::io_context& context() noexcept { return control_; }
  // The latest registry. Takes a mutex: I/O threads read through their cached reader instead
  // (relay::RelayDeps::registry()), which is one atomic load while nothing changed.
  [[nodiscard]] std::shared_ptr<const Registry> registry() const { return registry_.load(); }
  [[nodiscard]] const SnapshotCell<Registry>& registry_cell() const noexcept { return registry_; }
  // The shared slot counts I/O threads claim free slots on (control::claim_free_slot); such a
  // claim is ended with release() like any grant.
  [[nodiscard]] const std::shared_ptr<SlotBoard>& board() const noexcept { return board_; }
  [[nodiscard]] std::uint64_t next_ticket_id() noexcept {
    return next_id_.fetch_add(1, std::memory_order_relaxed);
  }
  // Asks for a slot; the answer arrives on waiter->executor (Granted / Rejected, or `queued`
  // with a position, then later Granted / Rejected).
  void submit(Ticket ticket, std::shared_ptr<AdmissionWaiter> waiter);
  // A request on `endpoint` finished; ok=false counts against the endpoint's breaker. `held`:
  // how long it held the slot, for the pool's service time (zero: not a completed request).
  void release(EndpointId endpoint, bool ok, Millis held = Millis::zero());
  // A slot granted (or claimed) but never used to reach the engine: frees it without a breaker
  // verdict.
  void release_unused(EndpointId endpoint);
  // The waiter gave up (deadline, client gone). If it was already granted, the grant's
  // completion sees State::Abandoned and releases the slot.
  void cancel(std::uint64_t id);
  // Refreshes waiter->position (posted back to the waiter's executor).
  void query_position(std::uint64_t id, std::shared_ptr<AdmissionWaiter> waiter);

 private:
  struct Pending {
    std::shared_ptr<AdmissionWaiter> waiter;
  };
  enum class Phase : std::uint8_t { Unused, Serving, Draining };
  // Everything the control plane keeps per endpoint id.
  struct Entry {
    Phase phase = Phase::Unused;
    std::shared_ptr<const EndpointInfo> info;
    placement::HealthTracker health{1, 1};
    std::shared_ptr<telemetry::ControlGauges::Endpoint> gauge;
    TimePoint drain_deadline{};
    bool drain_expired = false;
    placement::BreakerState observed_breaker = placement::BreakerState::Closed;  // as last logged
    bool observed_panic = false;                                                 // as last logged
  };

  // registry_changes.cpp: building the registry from a configuration.
  RegistryChange build_registry(const config::Config& next);
  EndpointId allocate_id();
  // Retires draining endpoints with nothing in flight; ends the requests of those whose drain
  // deadline passed.
  void check_draining(TimePoint now);
  void retire(EndpointId id);
  void publish_gauge_lists();

  void publish_snapshot();
  // The placement part of the latest registry (what the scheduler works from).
  [[nodiscard]] std::shared_ptr<const placement::RegistrySnapshot> placement_view() const;
  void dispatch_all(const std::vector<Dispatch>& dispatches);
  void grant(std::shared_ptr<AdmissionWaiter> waiter, EndpointId endpoint);
  void reject(std::shared_ptr<AdmissionWaiter> waiter, Error error);
  void refresh_gauges();
  // Counts and logs breaker transitions and panic-routing changes seen since the last call; true
  // when the published snapshot no longer matches (a breaker state or ejection changed).
  bool observe_breakers(TimePoint now);
  // Answers 503 to queued requests whose model no ready pool serves any more.
  void reject_unready();
  void schedule_poll();

  boost::asio::io_context& control_;
  std::shared_ptr<const config::Config> config_;
  telemetry::ControlGauges& gauges_;
  RegistryObserver* observer_ = nullptr;
  std::vector<Entry> entries_;                             // by endpoint id
  std::deque<std::pair<EndpointId, TimePoint>> free_ids_;  // retired ids and when, oldest first
  std::vector<EndpointId> added_;    // by the last build_registry(), not yet announced
  std::vector<EndpointId> removed_;  // by the last build_registry(), not yet announced
  std::uint64_t next_serial_ = 1;
  std::vector<placement::PoolSnapshot> pools_;
  SnapshotCell<Registry> registry_;
  std::uint64_t version_ = 0;
  std::unique_ptr<Scheduler> scheduler_;
  std::shared_ptr<SlotBoard> board_;  // the scheduler's, set once in the constructor
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::atomic<std::uint64_t> next_id_{1};
  boost::asio::steady_timer poll_timer_;
  bool stopped_ = false;
  std::unordered_map<std::string, std::shared_ptr<telemetry::ControlGauges::ModelQueue>>
      queue_gauges_;
};

}  // namespace sy::control
