#pragma once
// Scheduler: decides, for every request, whether it runs now (and where), waits in its model's
// admission queue, or is refused; and hands queued requests to endpoints as capacity appears.
//
// It combines one AdmissionQueue and DrainRate per model, per-endpoint in-flight counts and
// circuit breakers, session affinity, and place(). The registry snapshot it works from is replaced
// with update_registry(); endpoint indices are stable across snapshots, so in-flight counts and
// breakers are kept by index.
//
// Dispatch from the queues happens in release(), update_registry() and poll(): interactive tickets
// of every model before any batch ticket, FIFO within a priority per model, models taking turns
// (round robin) when they compete for the same endpoints. A queued ticket is skipped (left for
// expire()) once its deadline has passed, and skipped while no feasible endpoint fits it (needed
// context, excluded endpoints), so tickets behind it may go first.
//
// Every dispatch this class reports (Dispatched outcomes and Dispatch entries) has already been
// counted in flight; the caller must report its end with release() exactly once.
//
// In-flight counts and queue lengths live on a SlotBoard (atomics) that the scheduler creates from
// its first snapshot and shares through board(): I/O threads may claim a free slot there directly
// (claim_free_slot) while nothing is queued for the model, and report its end with release() like
// any other dispatch. The scheduler therefore claims slots with compare-and-swap too, and a claim
// that loses such a race simply looks again.
//
// Breaker time transitions (Open → HalfOpen) are not events, so the caller should poll() a few
// times per second to let queued work take a HalfOpen trial.
//
// Pure and deterministic: no I/O, no clocks (time is passed in), no locks.
// Thread: not synchronised; owned and used by the control strand only (the SlotBoard it shares is
// the one part other threads touch).

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "admission/admission_queue.hpp"
#include "admission/drain_rate.hpp"
#include "admission/overflow_policy.hpp"
#include "admission/priority.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "control/slot_board.hpp"
#include "placement/circuit_breaker.hpp"
#include "placement/ejection_cap.hpp"
#include "placement/placement.hpp"
#include "placement/registry_snapshot.hpp"
#include "placement/session_affinity.hpp"

namespace sy::control {

// The application fills every field from configuration; the initialisers only keep tests short.
struct SchedulerConfig {
  std::size_t queue_capacity = 1024;  // per model
  admission::OverflowPolicy policy = admission::OverflowPolicy::Reject;
  std::uint32_t breaker_failure_threshold = 5;
  Millis breaker_open_for{10'000};
  // The most of a model's ready endpoints breakers may take out at once (see ejection_cap.hpp).
  std::uint32_t max_ejection_percent = 50;
  std::size_t session_max_entries = 10'000;
  Millis session_ttl{600'000};
};

struct Ticket {
  std::uint64_t id = 0;  // unique among tickets queued at once
  std::string model;
  admission::Priority priority = admission::Priority::Interactive;
  std::uint32_t needed_ctx = 0;
  TimePoint deadline = TimePoint::max();  // TimePoint::max() = none
  std::string session_id;                 // empty = no session affinity
  std::vector<std::uint32_t> excluded;    // endpoints already tried for this request
};

struct Dispatch {
  std::uint64_t id = 0;
  std::uint32_t endpoint = 0;
};

struct SubmitOutcome {
  enum class Kind { Dispatched, Queued, Rejected };
  Kind kind = Kind::Rejected;
  std::uint32_t endpoint = 0;      // Dispatched
  std::size_t queue_position = 0;  // Queued (0-based, in dispatch order)
  // Queued: when it should start, from the model's live drain rate (ms from now).
  std::uint64_t predicted_start_ms = 0;
  // Rejected:
  //   ModelNotFound    no pool lists the model (param "model");
  //   InvalidParams    needed_ctx exceeds every pool's ctx_max (param "max_tokens");
  //   DeadlineExceeded deadline <= now;
  //   UpstreamError    every endpoint that could serve the ticket is in its excluded list;
  //   QueueFull        the model's queue is full (retry_after_ms from its DrainRate);
  //   Internal         the id is already queued.
  std::optional<sy::Error> error;
  // Another queued ticket evicted by the overflow policy to admit this one (Queued only); the
  // caller answers it 429.
  std::optional<std::uint64_t> evicted;
};

class Scheduler {
 public:
  // A null snapshot is treated as an empty registry.
  Scheduler(SchedulerConfig config, std::shared_ptr<const placement::RegistrySnapshot> snapshot);

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  Scheduler(Scheduler&&) = default;
  Scheduler& operator=(Scheduler&&) = default;
  ~Scheduler() = default;

  // Runs the ticket now if an endpoint is feasible (preferring the session's endpoint), else
  // queues it when every fitting endpoint is busy or not ready, else refuses it (see
  // SubmitOutcome). A ticket that is not ready anywhere still queues: the I/O layer answers 503
  // itself when no pool of the model is ready at all.
  [[nodiscard]] SubmitOutcome submit(Ticket ticket, TimePoint now);

  // A running request on `endpoint` finished. ok=false counts as a breaker failure (the caller
  // decides which outcomes are the endpoint's fault, see docs/resilience.md); ok=true as a
  // success. Returns the queued tickets now dispatched, in dispatch order, already counted in
  // flight.
  [[nodiscard]] std::vector<Dispatch> release(std::uint32_t endpoint, bool ok, TimePoint now);

  // As release(), for a dispatch that gives no verdict on the endpoint (abandoned before it was
  // sent, backpressure, the client's own fault): the slot frees, the breaker records nothing (a
  // half-open trial is given back).
  [[nodiscard]] std::vector<Dispatch> release_unused(std::uint32_t endpoint, TimePoint now);

  // Removes a queued ticket; false when it is not queued.
  bool cancel(std::uint64_t id);

  // Removes and returns the queued tickets whose deadline <= now; the caller answers them 504.
  [[nodiscard]] std::vector<std::uint64_t> expire(TimePoint now);

  // Removes and returns, in dispatch order, the queued tickets of every model none of whose
  // endpoints passes its health probes in the current snapshot: waiting would have no end, so the
  // caller answers them 503 at once instead. Open breakers do not count (they reopen by
  // themselves).
  [[nodiscard]] std::vector<std::uint64_t> evict_unready();

  // Adopts a new registry snapshot and dispatches whatever now fits. Models that no pool lists any
  // more keep their queued tickets until they expire or are cancelled (they may come back).
  [[nodiscard]] std::vector<Dispatch> update_registry(
      std::shared_ptr<const placement::RegistrySnapshot> snapshot, TimePoint now);

  // Periodic: lets breakers that turned HalfOpen take queued work.
  [[nodiscard]] std::vector<Dispatch> poll(TimePoint now);

  [[nodiscard]] std::optional<std::size_t> queue_position(std::uint64_t id) const;
  // A request on `endpoint` held its slot for `held` and completed: folded into the service
  // time of the endpoint's pool (an exponentially weighted mean).
  void observe_service(std::uint32_t endpoint, Millis held);
  // When the queued ticket `id` should start, in ms from `now` (see expected_wait_ms); nullopt
  // when it is not queued.
  [[nodiscard]] std::optional<std::uint64_t> predicted_start_ms(std::uint64_t id,
                                                                TimePoint now) const;
  [[nodiscard]] std::size_t queue_depth(std::string_view model, admission::Priority priority) const;
  [[nodiscard]] std::uint32_t in_flight(std::uint32_t endpoint) const;
  [[nodiscard]] placement::BreakerState breaker_state(std::uint32_t endpoint, TimePoint now) const;
  // Recomputes which endpoints breakers keep out of service at `now`, with the ejection cap.
  void refresh_breakers(TimePoint now) { refresh_breaker_flags(now); }
  // As of the last refresh: the endpoint's breaker is open (or its half-open trial is taken) and
  // the cap keeps it out of service.
  [[nodiscard]] bool ejected(std::uint32_t endpoint) const noexcept {
    return endpoint < breakers_.size() && !breaker_allows_[endpoint];
  }
  // As of the last refresh: the breaker would keep the endpoint out, but the ejection cap keeps
  // it in service (panic routing).
  [[nodiscard]] bool in_panic(std::uint32_t endpoint) const noexcept {
    return endpoint < breakers_.size() && panic_[endpoint];
  }
  // Requests placed on an endpoint in panic routing, since start.
  [[nodiscard]] std::uint64_t panic_routed() const noexcept { return panic_routed_; }
  // Retry-After for a client refused by `model`'s queue now (from the model's drain rate and
  // queue depth), in [100, 60000] ms.
  [[nodiscard]] std::uint32_t retry_after_ms(std::string_view model, TimePoint now);
  // Every model any pool of the current snapshot lists, sorted (queues exist for these).
  [[nodiscard]] const std::vector<std::string>& models() const noexcept { return models_; }
  [[nodiscard]] const std::shared_ptr<const placement::RegistrySnapshot>& snapshot()
      const noexcept {
    return snapshot_;
  }
  // The shared slot counts (see the class comment); they grow with the snapshots adopted.
  [[nodiscard]] const std::shared_ptr<SlotBoard>& board() const noexcept { return board_; }

 private:
  struct ModelState {
    ModelState(std::size_t capacity, admission::OverflowPolicy policy) : queue(capacity, policy) {}
    admission::AdmissionQueue queue;
    admission::DrainRate drain;
    // needed_ctx of the queued tickets, per priority: when even the smallest cannot fit the
    // largest free endpoint, dispatch skips the queue without scanning it.
    std::array<std::multiset<std::uint32_t>, admission::kPriorityCount> needed_ctx;
  };
  using Models = std::map<std::string, ModelState, std::less<>>;

  void adopt(std::shared_ptr<const placement::RegistrySnapshot> snapshot);
  void refresh_breaker_flags(TimePoint now);
  [[nodiscard]] std::span<const bool> breaker_flags() const noexcept {
    return {breaker_allows_.get(), breakers_.size()};
  }
  // Places the ticket and claims the slot on the board; nullopt (with the reason in `failure`)
  // when nothing is feasible.
  [[nodiscard]] std::optional<std::uint32_t> place_and_claim(
      const Ticket& ticket, TimePoint now, placement::PlacementFailure* failure = nullptr);
  // Publishes every board model's queue length (after any queue change).
  void publish_queued();
  // True when an endpoint of a pool serving `model` passes its health probes (breakers aside).
  [[nodiscard]] bool any_healthy_endpoint(std::string_view model) const;
  // Counts the board's fast-path claims into the models' drain rates.
  void absorb_fast_claims(TimePoint now);
  [[nodiscard]] std::optional<std::uint32_t> largest_free_ctx(std::string_view model) const;
  [[nodiscard]] std::uint32_t largest_ctx(std::string_view model) const;
  [[nodiscard]] bool every_candidate_excluded(const Ticket& ticket) const;
  ModelState& model_state(std::string_view model);
  void commit(const Ticket& ticket, std::uint32_t endpoint, TimePoint now);
  [[nodiscard]] std::vector<Dispatch> dispatch_queued(TimePoint now);
  [[nodiscard]] std::optional<Dispatch> dispatch_one(std::string_view model, ModelState& state,
                                                     admission::Priority priority, TimePoint now);
  void drop_if_orphaned(Models::iterator model);
  // Forgets a ticket that has left `state`'s queue (popped, evicted, cancelled or expired).
  Ticket forget_queued(ModelState& state, std::uint64_t id);
  // Milliseconds until `items` more requests of `model` have started: `items` x the mean service
  // time / the slots of the model's ready endpoints, from the pools' service times; the model's
  // drain rate where no pool has a service time yet.
  [[nodiscard]] std::uint64_t expected_wait_ms(std::string_view model, const ModelState& state,
                                               std::size_t items, TimePoint now) const;

  SchedulerConfig config_;
  std::shared_ptr<const placement::RegistrySnapshot> snapshot_;
  std::vector<std::string> models_;
  Models queues_;
  std::unordered_map<std::uint64_t, Ticket> waiting_;  // queued tickets by id
  std::shared_ptr<SlotBoard> board_;                   // in-flight counts, queue lengths
  std::vector<std::uint32_t> loads_;                   // scratch: board_->load_all()
  std::vector<placement::CircuitBreaker> breakers_;    // by endpoint index
  std::vector<std::uint64_t> serials_;                 // by index: whose breaker it is
  std::unique_ptr<bool[]> breaker_allows_;             // scratch for place(); sized like breakers_
  std::unique_ptr<bool[]> panic_;                      // sized like breakers_
  std::vector<TimePoint> opened_at_;                   // scratch: when each breaker opened
  placement::ModelEndpoints model_endpoints_;          // of snapshot_, for the ejection cap
  std::uint64_t panic_routed_ = 0;
  // Mean slot hold time of completed requests, by pool id (ms; kept across reloads).
  std::map<std::string, double, std::less<>> pool_service_ms_;
  placement::SessionAffinity affinity_;
  std::size_t round_robin_ = 0;  // which model goes first in the next dispatch round
};

}  // namespace sy::control
