#include "control/scheduler.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>
#include <utility>

#include "placement/placement.hpp"

namespace sy::control {

using admission::Priority;
using admission::QueuedRequest;

namespace {

SubmitOutcome rejected(ErrorCode code, std::string message, std::string param = {},
                       std::uint32_t retry_after_ms = 0) {
  SubmitOutcome outcome;
  outcome.kind = SubmitOutcome::Kind::Rejected;
  outcome.error = Error{code, std::move(message), std::move(param), retry_after_ms};
  return outcome;
}

}  // namespace

Scheduler::Scheduler(SchedulerConfig config,
                     std::shared_ptr<const placement::RegistrySnapshot> snapshot)
    : config_(config),
      board_(std::make_shared<SlotBoard>()),
      affinity_(config.session_max_entries) {
  adopt(std::move(snapshot));
}

void Scheduler::adopt(std::shared_ptr<const placement::RegistrySnapshot> snapshot) {
  snapshot_ =
      snapshot ? std::move(snapshot) : std::make_shared<const placement::RegistrySnapshot>();

  // Per-endpoint state only grows: an endpoint that disappears may still have requests running
  // (it drains), and their release() must find the counters. An id that comes back with another
  // serial is a new endpoint: its breaker starts closed.
  const std::size_t endpoints = snapshot_->endpoints.size();
  board_->reserve_endpoints(endpoints);
  if (endpoints > breakers_.size()) {
    while (breakers_.size() < endpoints) {
      breakers_.emplace_back(config_.breaker_failure_threshold, config_.breaker_open_for);
    }
    serials_.resize(breakers_.size(), 0);
    breaker_allows_ = std::make_unique<bool[]>(breakers_.size());
    panic_ = std::make_unique<bool[]>(breakers_.size());
    opened_at_.resize(breakers_.size());
    for (std::size_t e = 0; e < breakers_.size(); ++e) breaker_allows_[e] = true;
  }
  for (const placement::EndpointSnapshot& e : snapshot_->endpoints) {
    if (e.serial == 0 || e.serial == serials_[e.index]) continue;
    if (serials_[e.index] != 0) {
      breakers_[e.index] =
          placement::CircuitBreaker(config_.breaker_failure_threshold, config_.breaker_open_for);
    }
    serials_[e.index] = e.serial;
  }
  model_endpoints_ = placement::model_endpoints(*snapshot_);

  models_ = snapshot_->all_models();
  for (const std::string& model : models_) {
    queues_.try_emplace(model, config_.queue_capacity, config_.policy);
    (void)board_->add_model(model);  // a full board sends the model through the queue only
  }
  for (auto it = queues_.begin(); it != queues_.end();) {
    drop_if_orphaned(it++);
  }
}

void Scheduler::drop_if_orphaned(Models::iterator model) {
  if (!model->second.queue.empty()) return;
  if (std::binary_search(models_.begin(), models_.end(), model->first)) return;
  queues_.erase(model);
}

void Scheduler::refresh_breaker_flags(TimePoint now) {
  bool all_allow = true;
  for (std::size_t e = 0; e < breakers_.size(); ++e) {
    breaker_allows_[e] = breakers_[e].permits(now);
    opened_at_[e] = breakers_[e].opened_at();
    all_allow = all_allow && breaker_allows_[e];
  }
  const std::span<bool> panic(panic_.get(), breakers_.size());
  if (all_allow) {
    std::fill(panic.begin(), panic.end(), false);
    return;
  }
  const std::span<bool> allows(breaker_allows_.get(), breakers_.size());
  (void)placement::cap_ejections(*snapshot_, model_endpoints_, allows, opened_at_,
                                 config_.max_ejection_percent, panic);
}

Scheduler::ModelState& Scheduler::model_state(std::string_view model) {
  auto it = queues_.find(model);
  if (it == queues_.end()) {
    it = queues_.try_emplace(std::string(model), config_.queue_capacity, config_.policy).first;
  }
  return it->second;
}

std::optional<std::uint32_t> Scheduler::place_and_claim(const Ticket& ticket, TimePoint now,
                                                        placement::PlacementFailure* failure) {
  std::optional<std::uint32_t> preferred;
  if (!ticket.session_id.empty()) preferred = affinity_.lookup(ticket.session_id, now);
  const placement::PlacementRequest request{ticket.model, ticket.needed_ctx, preferred,
                                            ticket.excluded};
  // An I/O thread may take the chosen slot between the look and the claim; look again then.
  for (int attempt = 0; attempt < 8; ++attempt) {
    board_->load_all(loads_);
    const placement::PlacementResult placed =
        placement::place(*snapshot_, loads_, breaker_flags(), request);
    if (!placed.endpoint) {
      if (failure) *failure = placed.failure;
      return std::nullopt;
    }
    const std::uint32_t e = *placed.endpoint;
    if (board_->try_claim(e, snapshot_->pools[snapshot_->endpoints[e].pool_index].slots)) return e;
  }
  if (failure) *failure = placement::PlacementFailure::AllBusy;
  return std::nullopt;
}

bool Scheduler::any_healthy_endpoint(std::string_view model) const {
  // Health only: an open breaker is temporary (it turns half-open after its cool-off and takes a
  // queued trial), so it is no reason to give up on queued work. The scheduler's snapshot carries
  // fresh health flags (every health change reaches update_registry) but possibly stale breaker
  // states, which is one more reason to ignore the latter here.
  for (const placement::PoolSnapshot& pool : snapshot_->pools) {
    if (!pool_serves(pool, model)) continue;
    for (const std::uint32_t e : pool.endpoint_indices) {
      if (e < snapshot_->endpoints.size() && snapshot_->endpoints[e].ready) return true;
    }
  }
  return false;
}

void Scheduler::absorb_fast_claims(TimePoint now) {
  for (const std::string& model : board_->models()) {
    const std::uint32_t n = board_->take_fast_claims(model);
    if (n == 0) continue;
    ModelState& state = model_state(model);
    for (std::uint32_t i = 0; i < n; ++i) state.drain.on_dispatch(now);
  }
}

void Scheduler::publish_queued() {
  for (const std::string& model : board_->models()) {
    auto it = queues_.find(model);
    const std::size_t depth = it == queues_.end() ? 0 : it->second.queue.size();
    board_->set_queued(model, static_cast<std::uint32_t>(depth));
  }
}

std::optional<std::uint32_t> Scheduler::largest_free_ctx(std::string_view model) const {
  // The largest context any endpoint with a free slot could take now, ignoring per-ticket
  // exclusions: a cheap test that rejects most queued tickets without running place().
  std::optional<std::uint32_t> largest;
  const auto allows = breaker_flags();
  for (const placement::PoolSnapshot& pool : snapshot_->pools) {
    if (largest && *largest >= pool.ctx_max) continue;
    if (!pool_serves(pool, model)) continue;
    for (const std::uint32_t e : pool.endpoint_indices) {
      if (e >= snapshot_->endpoints.size() || !snapshot_->endpoints[e].ready) continue;
      if (e < allows.size() && !allows[e]) continue;
      if (board_->in_flight(e) >= pool.slots) continue;
      largest = pool.ctx_max;
      break;
    }
  }
  return largest;
}

std::uint32_t Scheduler::largest_ctx(std::string_view model) const {
  std::uint32_t largest = 0;
  for (const placement::PoolSnapshot& pool : snapshot_->pools) {
    if (pool_serves(pool, model)) largest = std::max(largest, pool.ctx_max);
  }
  return largest;
}

bool Scheduler::every_candidate_excluded(const Ticket& ticket) const {
  bool any_candidate = false;
  for (const placement::PoolSnapshot& pool : snapshot_->pools) {
    if (!pool_serves(pool, ticket.model) || pool.ctx_max < ticket.needed_ctx) continue;
    for (const std::uint32_t e : pool.endpoint_indices) {
      if (e >= snapshot_->endpoints.size()) continue;
      any_candidate = true;
      if (std::find(ticket.excluded.begin(), ticket.excluded.end(), e) == ticket.excluded.end()) {
        return false;
      }
    }
  }
  return any_candidate;
}

void Scheduler::commit(const Ticket& ticket, std::uint32_t endpoint, TimePoint now) {
  // place() only returns endpoints of the snapshot, and per-endpoint state covers all of them.
  // The slot itself was claimed on the board by place_and_claim().
  assert(endpoint < breakers_.size());
  if (breakers_[endpoint].permits(now)) {
    (void)breakers_[endpoint].allow_request(now);  // claims a HalfOpen trial
    // A claimed trial refuses further requests, which the cap may have to overrule.
    if (!breakers_[endpoint].permits(now)) refresh_breaker_flags(now);
  } else {
    // place() saw the endpoint allowed although its breaker refuses: the ejection cap keeps it
    // in service.
    assert(panic_[endpoint]);
    ++panic_routed_;
  }
  if (!ticket.session_id.empty()) {
    affinity_.bind(ticket.session_id, endpoint, now + config_.session_ttl);
  }
  model_state(ticket.model).drain.on_dispatch(now);
}

SubmitOutcome Scheduler::submit(Ticket ticket, TimePoint now) {
  refresh_breaker_flags(now);
  // Validate before claiming anything: a refused ticket must not hold a slot.
  placement::PlacementResult placed;
  {
    std::optional<std::uint32_t> preferred;
    if (!ticket.session_id.empty()) preferred = affinity_.lookup(ticket.session_id, now);
    board_->load_all(loads_);
    placed = placement::place(
        *snapshot_, loads_, breaker_flags(),
        placement::PlacementRequest{ticket.model, ticket.needed_ctx, preferred, ticket.excluded});
  }

  if (!placed.endpoint && placed.failure == placement::PlacementFailure::NoPoolForModel) {
    return rejected(ErrorCode::ModelNotFound, "No pool serves the model '" + ticket.model + "'.",
                    "model");
  }
  if (!placed.endpoint && placed.failure == placement::PlacementFailure::ContextTooLarge) {
    return rejected(ErrorCode::InvalidParams,
                    "The request needs " + std::to_string(ticket.needed_ctx) +
                        " tokens of context, but the model '" + ticket.model +
                        "' accepts at most " + std::to_string(largest_ctx(ticket.model)) +
                        "; lower max_tokens.",
                    "max_tokens");
  }
  if (ticket.deadline <= now) {
    return rejected(ErrorCode::DeadlineExceeded,
                    "The request's deadline passed before it could be scheduled.");
  }
  if (waiting_.contains(ticket.id)) {
    return rejected(ErrorCode::Internal,
                    "Request id " + std::to_string(ticket.id) + " is already queued.");
  }

  if (placed.endpoint) {
    placed.endpoint = place_and_claim(ticket, now, &placed.failure);
  }
  if (placed.endpoint) {
    commit(ticket, *placed.endpoint, now);
    SubmitOutcome outcome;
    outcome.kind = SubmitOutcome::Kind::Dispatched;
    outcome.endpoint = *placed.endpoint;
    return outcome;
  }

  if (placed.failure == placement::PlacementFailure::NoReadyEndpoint && !ticket.excluded.empty() &&
      every_candidate_excluded(ticket)) {
    return rejected(ErrorCode::UpstreamError, "All endpoints failed for model '" + ticket.model +
                                                  "'; no untried endpoint is left.");
  }

  // AllBusy or NoReadyEndpoint: wait in the model's queue.
  ModelState& state = model_state(ticket.model);
  const QueuedRequest request{ticket.id, ticket.priority, now, ticket.deadline, ticket.needed_ctx};
  const auto pushed = state.queue.push(request);
  if (!pushed.admitted) {
    absorb_fast_claims(now);
    const std::size_t depth = state.queue.size();
    return rejected(ErrorCode::QueueFull,
                    "The queue for model '" + ticket.model + "' is full (" + std::to_string(depth) +
                        " waiting); retry later.",
                    {}, state.drain.retry_after_ms(depth, now));
  }

  SubmitOutcome outcome;
  outcome.kind = SubmitOutcome::Kind::Queued;
  // The newcomer is at the tail of its priority, and interactive items precede batch items.
  outcome.queue_position =
      (ticket.priority == Priority::Interactive ? state.queue.size(Priority::Interactive)
                                                : state.queue.size()) -
      1;
  outcome.predicted_start_ms =
      expected_wait_ms(ticket.model, state, outcome.queue_position + 1, now);
  if (pushed.evicted) {
    forget_queued(state, *pushed.evicted);
    outcome.evicted = pushed.evicted;
  }
  state.needed_ctx[static_cast<std::size_t>(ticket.priority)].insert(ticket.needed_ctx);
  waiting_.emplace(ticket.id, std::move(ticket));
  publish_queued();
  return outcome;
}

std::vector<Dispatch> Scheduler::release(std::uint32_t endpoint, bool ok, TimePoint now) {
  board_->release(endpoint);
  if (endpoint < breakers_.size()) {
    if (ok) {
      breakers_[endpoint].on_success(now);
    } else {
      breakers_[endpoint].on_failure(now);
    }
  }
  return dispatch_queued(now);
}

std::vector<Dispatch> Scheduler::release_unused(std::uint32_t endpoint, TimePoint now) {
  board_->release(endpoint);
  if (endpoint < breakers_.size()) breakers_[endpoint].on_unused();
  return dispatch_queued(now);
}

bool Scheduler::cancel(std::uint64_t id) {
  auto ticket = waiting_.find(id);
  if (ticket == waiting_.end()) return false;
  auto model = queues_.find(ticket->second.model);
  if (model == queues_.end()) {
    assert(false);  // a queue is dropped only once it is empty, so a queued ticket has one
    waiting_.erase(ticket);
    return true;
  }
  model->second.queue.remove(id);
  forget_queued(model->second, id);
  drop_if_orphaned(model);
  publish_queued();
  return true;
}

Ticket Scheduler::forget_queued(ModelState& state, std::uint64_t id) {
  // waiting_, the queues and needed_ctx always change together, so both lookups succeed; the
  // checks only keep a broken invariant from becoming undefined behaviour in release builds.
  auto node = waiting_.extract(id);
  assert(!node.empty());
  if (node.empty()) return Ticket{};
  Ticket& ticket = node.mapped();
  auto& sizes = state.needed_ctx[static_cast<std::size_t>(ticket.priority)];
  auto size = sizes.find(ticket.needed_ctx);
  assert(size != sizes.end());
  if (size != sizes.end()) sizes.erase(size);
  return std::move(ticket);
}

std::vector<std::uint64_t> Scheduler::expire(TimePoint now) {
  std::vector<std::uint64_t> expired;
  for (auto it = queues_.begin(); it != queues_.end();) {
    for (const std::uint64_t id : it->second.queue.expire(now)) {
      forget_queued(it->second, id);
      expired.push_back(id);
    }
    drop_if_orphaned(it++);
  }
  affinity_.purge_expired(now);
  if (!expired.empty()) publish_queued();
  return expired;
}

std::vector<std::uint64_t> Scheduler::evict_unready() {
  std::vector<std::uint64_t> evicted;
  for (auto it = queues_.begin(); it != queues_.end();) {
    ModelState& state = it->second;
    if (!state.queue.empty() && !any_healthy_endpoint(it->first)) {
      while (auto popped = state.queue.pop()) {
        forget_queued(state, popped->id);
        evicted.push_back(popped->id);
      }
    }
    drop_if_orphaned(it++);
  }
  if (!evicted.empty()) publish_queued();
  return evicted;
}

std::vector<Dispatch> Scheduler::update_registry(
    std::shared_ptr<const placement::RegistrySnapshot> snapshot, TimePoint now) {
  adopt(std::move(snapshot));
  return dispatch_queued(now);
}

std::vector<Dispatch> Scheduler::poll(TimePoint now) {
  absorb_fast_claims(now);
  return dispatch_queued(now);
}

std::vector<Dispatch> Scheduler::dispatch_queued(TimePoint now) {
  std::vector<Dispatch> dispatched;
  if (waiting_.empty()) return dispatched;
  refresh_breaker_flags(now);

  std::vector<std::pair<std::string_view, ModelState*>> order;
  order.reserve(queues_.size());
  for (auto& [model, state] : queues_) {
    if (!state.queue.empty()) order.emplace_back(model, &state);
  }
  if (order.empty()) return dispatched;
  // Models sharing endpoints take turns; rotating who goes first keeps any one model from always
  // winning the first freed slot.
  std::rotate(order.begin(),
              order.begin() + static_cast<std::ptrdiff_t>(round_robin_ % order.size()),
              order.end());
  ++round_robin_;

  struct Publish {  // however the loop below ends, the board learns the new queue lengths
    Scheduler& self;
    ~Publish() { self.publish_queued(); }
  } publish{*this};
  for (const Priority priority : {Priority::Interactive, Priority::Batch}) {
    bool progress = true;
    while (progress) {
      progress = false;
      for (const auto& [model, state] : order) {
        if (state->queue.size(priority) == 0) continue;
        if (auto dispatch = dispatch_one(model, *state, priority, now)) {
          dispatched.push_back(*dispatch);
          progress = true;
        }
      }
    }
  }
  return dispatched;
}

std::optional<Dispatch> Scheduler::dispatch_one(std::string_view model, ModelState& state,
                                                Priority priority, TimePoint now) {
  const auto& sizes = state.needed_ctx[static_cast<std::size_t>(priority)];
  if (sizes.empty()) return std::nullopt;
  const std::optional<std::uint32_t> free_ctx = largest_free_ctx(model);
  if (!free_ctx || *free_ctx < *sizes.begin()) return std::nullopt;

  std::optional<std::uint32_t> chosen;
  auto popped = state.queue.pop_if(priority, [&](const QueuedRequest& queued) {
    if (queued.deadline <= now || queued.needed_ctx > *free_ctx) return false;
    auto ticket = waiting_.find(queued.id);
    assert(ticket != waiting_.end());  // waiting_ and the queues hold the same ids
    chosen = place_and_claim(ticket->second, now);
    return chosen.has_value();
  });
  if (!popped) return std::nullopt;

  const Ticket ticket = forget_queued(state, popped->id);
  commit(ticket, *chosen, now);
  return Dispatch{popped->id, *chosen};
}

std::optional<std::size_t> Scheduler::queue_position(std::uint64_t id) const {
  auto ticket = waiting_.find(id);
  if (ticket == waiting_.end()) return std::nullopt;
  auto model = queues_.find(ticket->second.model);
  if (model == queues_.end()) return std::nullopt;
  return model->second.queue.position(id);
}

std::optional<std::uint64_t> Scheduler::predicted_start_ms(std::uint64_t id, TimePoint now) const {
  auto ticket = waiting_.find(id);
  if (ticket == waiting_.end()) return std::nullopt;
  auto model = queues_.find(ticket->second.model);
  if (model == queues_.end()) return std::nullopt;
  const auto position = model->second.queue.position(id);
  if (!position) return std::nullopt;
  return expected_wait_ms(model->first, model->second, *position + 1, now);
}

void Scheduler::observe_service(std::uint32_t endpoint, Millis held) {
  if (endpoint >= snapshot_->endpoints.size() || held <= Millis::zero()) return;
  const std::uint32_t pool = snapshot_->endpoints[endpoint].pool_index;
  if (pool >= snapshot_->pools.size()) return;
  // A weight of 0.2: the mean follows a change of load or prompt size within a few requests.
  constexpr double kWeight = 0.2;
  const double ms = static_cast<double>(held.count());
  auto [it, fresh] = pool_service_ms_.try_emplace(snapshot_->pools[pool].id, ms);
  if (!fresh) it->second += kWeight * (ms - it->second);
}

std::uint64_t Scheduler::expected_wait_ms(std::string_view model, const ModelState& state,
                                          std::size_t items, TimePoint now) const {
  // Slots of the model's ready endpoints, and their service time weighted by slots.
  double slots = 0.0;
  double weighted_ms = 0.0;
  for (std::uint32_t p = 0; p < snapshot_->pools.size(); ++p) {
    const placement::PoolSnapshot& pool = snapshot_->pools[p];
    if (!placement::pool_serves(pool, model)) continue;
    const auto service = pool_service_ms_.find(pool.id);
    if (service == pool_service_ms_.end()) continue;
    double ready = 0.0;
    for (const std::uint32_t e : pool.endpoint_indices) {
      if (e < snapshot_->endpoints.size() && snapshot_->endpoints[e].ready &&
          !snapshot_->endpoints[e].ejected) {
        ready += 1.0;
      }
    }
    slots += ready * pool.slots;
    weighted_ms += ready * pool.slots * service->second;
  }
  if (slots <= 0.0) return state.drain.expected_wait_ms(items, now);
  const double mean_ms = weighted_ms / slots;
  return static_cast<std::uint64_t>(std::llround(static_cast<double>(items) * mean_ms / slots));
}

std::size_t Scheduler::queue_depth(std::string_view model, Priority priority) const {
  auto it = queues_.find(model);
  return it == queues_.end() ? 0 : it->second.queue.size(priority);
}

std::uint32_t Scheduler::in_flight(std::uint32_t endpoint) const {
  return board_->in_flight(endpoint);
}

placement::BreakerState Scheduler::breaker_state(std::uint32_t endpoint, TimePoint now) const {
  return endpoint < breakers_.size() ? breakers_[endpoint].state(now)
                                     : placement::BreakerState::Closed;
}

std::uint32_t Scheduler::retry_after_ms(std::string_view model, TimePoint now) {
  absorb_fast_claims(now);
  auto it = queues_.find(model);
  if (it == queues_.end()) return admission::DrainRate::kMinRetryAfterMs;
  return it->second.drain.retry_after_ms(it->second.queue.size(), now);
}

}  // namespace sy::control
