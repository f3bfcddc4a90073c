#include "control/control_plane.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "telemetry/log.hpp"

namespace sy::control {

namespace asio = boost::asio;
using telemetry::LogLevel;

namespace {

admission::OverflowPolicy to_admission(config::OverflowPolicy p) {
  switch (p) {
    case config::OverflowPolicy::DropLru:
      return admission::OverflowPolicy::DropLru;
    case config::OverflowPolicy::ShedLowPriority:
      return admission::OverflowPolicy::ShedLowPriority;
    default:
      return admission::OverflowPolicy::Reject;
  }
}

int breaker_gauge(placement::BreakerState s) {
  switch (s) {
    case placement::BreakerState::Open:
      return 1;
    case placement::BreakerState::HalfOpen:
      return 2;
    default:
      return 0;
  }
}

SchedulerConfig scheduler_config(const config::Config& config) {
  SchedulerConfig sc;
  sc.queue_capacity = config.queue.capacity;
  sc.policy = to_admission(config.queue.policy);
  sc.breaker_failure_threshold = config.breaker.failure_threshold;
  sc.breaker_open_for = Millis(config.breaker.open_ms);
  sc.max_ejection_percent = config.breaker.max_ejection_percent;
  sc.session_max_entries = config.sessions.max_entries;
  sc.session_ttl = Millis(config.sessions.ttl_ms);
  return sc;
}

}  // namespace

ControlPlane::ControlPlane(asio::io_context& control, std::shared_ptr<const config::Config> config,
                           telemetry::ControlGauges& gauges)
    : control_(control), config_(std::move(config)), gauges_(gauges), poll_timer_(control) {
  scheduler_ = std::make_unique<Scheduler>(scheduler_config(*config_), nullptr);
  board_ = scheduler_->board();
  (void)build_registry(*config_);
  added_.clear();  // start() announces every endpoint
  publish_snapshot();
  (void)scheduler_->update_registry(placement_view(), Clock::now());  // nothing is queued yet
  publish_gauge_lists();
}

std::shared_ptr<const placement::RegistrySnapshot> ControlPlane::placement_view() const {
  auto registry = registry_.load();
  return {registry, &registry->placement};
}

void ControlPlane::publish_snapshot() {
  auto next = std::make_shared<Registry>();
  next->config = config_;
  placement::RegistrySnapshot& snap = next->placement;
  snap.version = ++version_;
  snap.pools = pools_;
  const TimePoint now = Clock::now();
  if (scheduler_) scheduler_->refresh_breakers(now);  // fresh ejection flags, not the last ones
  snap.endpoints.resize(entries_.size());
  next->endpoints.resize(entries_.size());
  for (EndpointId id = 0; id < entries_.size(); ++id) {
    const Entry& entry = entries_[id];
    placement::EndpointSnapshot& es = snap.endpoints[id];
    es.index = id;
    if (entry.phase == Phase::Unused) continue;
    es.serial = entry.info->serial;
    es.pool_index = entry.info->pool_index;
    es.url = entry.info->url;
    es.ready = entry.phase == Phase::Serving && entry.health.ready();
    es.breaker = scheduler_->breaker_state(id, now);
    es.ejected = scheduler_->ejected(id);
    next->endpoints[id] = entry.info;
  }
  registry_.publish(std::move(next));
  gauges_.snapshot_version.store(version_, std::memory_order_relaxed);
}

void ControlPlane::start(RegistryObserver* observer) {
  observer_ = observer;
  if (observer_ != nullptr) {
    for (const Entry& entry : entries_) {
      if (entry.phase == Phase::Serving) observer_->endpoint_added(entry.info);
    }
  }
  schedule_poll();
}

std::uint32_t ControlPlane::probe_interval_ms(EndpointId id) const {
  // An endpoint that is not ready yet is probed four times as often, so a pool comes up quickly
  // after start or recovery (config::soonest_recovery_ms relies on this rate).
  const std::uint32_t interval = config_->health.interval_ms;
  const bool ready = id < entries_.size() && entries_[id].health.ready();
  return ready ? interval : std::max<std::uint32_t>(interval / 4, 50);
}

bool ControlPlane::probed(EndpointId id, std::uint64_t serial) const noexcept {
  return !stopped_ && id < entries_.size() && entries_[id].phase == Phase::Serving &&
         entries_[id].info->serial == serial;
}

std::shared_ptr<const EndpointInfo> ControlPlane::probed_endpoint(EndpointId id,
                                                                  std::uint64_t serial) const {
  return probed(id, serial) ? entries_[id].info : nullptr;
}

void ControlPlane::stop() {
  asio::post(control_, [this] {
    stopped_ = true;
    poll_timer_.cancel();
    for (auto& [id, pending] : pending_) {
      reject(pending.waiter,
             Error{ErrorCode::ShuttingDown, "The server is shutting down.", {}, 1000});
      (void)scheduler_->cancel(id);
    }
    pending_.clear();
    refresh_gauges();
  });
}

void ControlPlane::schedule_poll() {
  poll_timer_.expires_after(std::chrono::milliseconds(50));
  poll_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    const TimePoint now = Clock::now();
    for (std::uint64_t id : scheduler_->expire(now)) {
      auto it = pending_.find(id);
      if (it == pending_.end()) continue;
      reject(it->second.waiter, Error{ErrorCode::DeadlineExceeded,
                                      "The request's deadline passed while it was queued.",
                                      {},
                                      0});
      pending_.erase(it);
    }
    dispatch_all(scheduler_->poll(now));
    check_draining(now);
    reject_unready();  // also catches a ticket that raced a readiness change on its way here
    refresh_gauges();
    schedule_poll();
  });
}

void ControlPlane::on_probe_result(EndpointId id, std::uint64_t serial, bool ok) {
  if (!probed(id, serial) || !entries_[id].health.on_probe(ok)) return;
  const bool ready = entries_[id].health.ready();
  const EndpointInfo& info = *entries_[id].info;
  telemetry::log_event(ready ? LogLevel::Info : LogLevel::Warn, "endpoint_health", {},
                       ready ? "Endpoint passed its health probes and takes requests now."
                             : "Endpoint failed its health probes; no new requests go to it.",
                       {{"endpoint", std::string_view(info.url)},
                        {"pool", std::string_view(info.pool_id)},
                        {"ready", ready}});
  publish_snapshot();
  dispatch_all(scheduler_->update_registry(placement_view(), Clock::now()));
  reject_unready();
  refresh_gauges();
}

void ControlPlane::reject_unready() {
  for (std::uint64_t id : scheduler_->evict_unready()) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    reject(it->second.waiter,
           Error{ErrorCode::PoolUnavailable,
                 "Every engine that serves the model became unavailable while the request waited.",
                 {},
                 config::soonest_recovery_ms(config_->health)});
    pending_.erase(it);
  }
}

void ControlPlane::submit(Ticket ticket, std::shared_ptr<AdmissionWaiter> waiter) {
  asio::post(control_, [this, ticket = std::move(ticket), waiter = std::move(waiter)]() mutable {
    if (stopped_) {
      reject(waiter, Error{ErrorCode::ShuttingDown, "The server is shutting down.", {}, 1000});
      return;
    }
    const std::uint64_t id = ticket.id;
    const std::string model = ticket.model;
    SubmitOutcome out = scheduler_->submit(std::move(ticket), Clock::now());
    if (out.evicted) {
      auto it = pending_.find(*out.evicted);
      if (it != pending_.end()) {
        Error e{ErrorCode::QueueFull,
                "The request was dropped from a full queue to make room for newer work.",
                {},
                0};
        e.retry_after_ms = scheduler_->retry_after_ms(model, Clock::now());
        reject(it->second.waiter, std::move(e));
        pending_.erase(it);
        gauges_.rejected_queue_full.fetch_add(1, std::memory_order_relaxed);
      }
    }
    switch (out.kind) {
      case SubmitOutcome::Kind::Dispatched:
        grant(std::move(waiter), out.endpoint);
        break;
      case SubmitOutcome::Kind::Queued: {
        pending_.emplace(id, Pending{waiter});
        const std::size_t position = out.queue_position;
        const std::uint64_t predicted = out.predicted_start_ms;
        asio::post(waiter->executor, [waiter, position, predicted] {
          if (waiter->state != AdmissionWaiter::State::Waiting) return;
          waiter->queued = true;
          waiter->position = position;
          waiter->predicted_start_ms = predicted;
          waiter->wake.cancel();
        });
        break;
      }
      case SubmitOutcome::Kind::Rejected:
        if (out.error && out.error->code == ErrorCode::QueueFull) {
          gauges_.rejected_queue_full.fetch_add(1, std::memory_order_relaxed);
        }
        reject(std::move(waiter), out.error
                                      ? std::move(*out.error)
                                      : Error{ErrorCode::Internal, "Admission failed.", {}, 0});
        break;
    }
    refresh_gauges();
  });
}

void ControlPlane::release_unused(EndpointId endpoint) {
  asio::post(control_, [this, endpoint] {
    if (stopped_) return;
    const TimePoint now = Clock::now();
    dispatch_all(scheduler_->release_unused(endpoint, now));
    if (endpoint < entries_.size() && entries_[endpoint].phase == Phase::Draining) {
      check_draining(now);
    }
    refresh_gauges();
  });
}

void ControlPlane::release(EndpointId endpoint, bool ok, Millis held) {
  asio::post(control_, [this, endpoint, ok, held] {
    if (stopped_) return;
    const TimePoint now = Clock::now();
    if (ok) scheduler_->observe_service(endpoint, held);
    dispatch_all(scheduler_->release(endpoint, ok, now));
    if (endpoint < entries_.size() && entries_[endpoint].phase == Phase::Draining) {
      check_draining(now);
    }
    refresh_gauges();
  });
}

void ControlPlane::cancel(std::uint64_t id) {
  asio::post(control_, [this, id] {
    if (scheduler_->cancel(id)) pending_.erase(id);
    refresh_gauges();
  });
}

void ControlPlane::query_position(std::uint64_t id, std::shared_ptr<AdmissionWaiter> waiter) {
  asio::post(control_, [this, id, waiter = std::move(waiter)] {
    auto pos = scheduler_->queue_position(id);
    if (!pos) return;
    const std::uint64_t predicted = scheduler_->predicted_start_ms(id, Clock::now()).value_or(0);
    asio::post(waiter->executor, [waiter, p = *pos, predicted] {
      waiter->position = p;
      waiter->predicted_start_ms = predicted;
    });
  });
}

void ControlPlane::dispatch_all(const std::vector<Dispatch>& dispatches) {
  for (const Dispatch& d : dispatches) {
    auto it = pending_.find(d.id);
    if (it == pending_.end()) {
      // The ticket's owner is gone (should not happen: cancel removes it from the queue first);
      // give the slot back rather than leak it.
      dispatch_all(scheduler_->release_unused(d.endpoint, Clock::now()));
      continue;
    }
    grant(std::move(it->second.waiter), d.endpoint);
    pending_.erase(it);
  }
}

void ControlPlane::grant(std::shared_ptr<AdmissionWaiter> waiter, EndpointId endpoint) {
  auto ex = waiter->executor;
  asio::post(ex, [this, waiter = std::move(waiter), endpoint] {
    if (waiter->state != AdmissionWaiter::State::Waiting) {
      release_unused(endpoint);  // abandoned while the grant was on its way
      return;
    }
    waiter->state = AdmissionWaiter::State::Granted;
    waiter->endpoint = endpoint;
    waiter->wake.cancel();
  });
}

void ControlPlane::reject(std::shared_ptr<AdmissionWaiter> waiter, Error error) {
  auto ex = waiter->executor;
  asio::post(ex, [waiter = std::move(waiter), error = std::move(error)]() mutable {
    if (waiter->state != AdmissionWaiter::State::Waiting) return;
    waiter->state = AdmissionWaiter::State::Rejected;
    waiter->error = std::move(error);
    waiter->wake.cancel();
  });
}

void ControlPlane::refresh_gauges() {
  const TimePoint now = Clock::now();
  for (auto& q : gauges_.queues) {
    q->depth[0].store(static_cast<std::int64_t>(
                          scheduler_->queue_depth(q->model, admission::Priority::Interactive)),
                      std::memory_order_relaxed);
    q->depth[1].store(
        static_cast<std::int64_t>(scheduler_->queue_depth(q->model, admission::Priority::Batch)),
        std::memory_order_relaxed);
  }
  const bool snapshot_stale = observe_breakers(now);
  for (EndpointId id = 0; id < entries_.size(); ++id) {
    const Entry& entry = entries_[id];
    if (!entry.gauge) continue;
    auto& g = *entry.gauge;
    g.breaker.store(breaker_gauge(entry.observed_breaker), std::memory_order_relaxed);
    g.panic.store(entry.observed_panic ? 1 : 0, std::memory_order_relaxed);
    g.ready.store(entry.phase == Phase::Serving && entry.health.ready() ? 1 : 0,
                  std::memory_order_relaxed);
    g.in_flight.store(scheduler_->in_flight(id), std::memory_order_relaxed);
  }
  gauges_.panic_routed.store(scheduler_->panic_routed(), std::memory_order_relaxed);
  if (snapshot_stale) publish_snapshot();
}

bool ControlPlane::observe_breakers(TimePoint now) {
  using placement::BreakerState;
  scheduler_->refresh_breakers(now);
  bool stale = false;
  const auto registry = registry_.load();
  const placement::RegistrySnapshot& snap = registry->placement;
  for (EndpointId i = 0; i < entries_.size(); ++i) {
    Entry& entry = entries_[i];
    if (entry.phase == Phase::Unused) continue;
    const EndpointInfo& e = *entry.info;
    const BreakerState state = scheduler_->breaker_state(i, now);
    const bool panic = scheduler_->in_panic(i);
    if (i < snap.endpoints.size() && (snap.endpoints[i].breaker != state ||
                                      snap.endpoints[i].ejected != scheduler_->ejected(i))) {
      stale = true;
    }
    if (state != entry.observed_breaker) {
      entry.observed_breaker = state;
      const std::size_t slot = state == BreakerState::Closed ? 0
                               : state == BreakerState::Open ? 1
                                                             : 2;
      gauges_.breaker_transitions[slot].fetch_add(1, std::memory_order_relaxed);
      std::string_view narration;
      switch (state) {
        case BreakerState::Open:
          narration =
              "Requests to the endpoint failed in a row; its breaker opened and it is ejected "
              "for the cool-off, unless that would take out too much of its models' capacity.";
          break;
        case BreakerState::HalfOpen:
          narration = "The breaker's cool-off passed; one trial request may go to the endpoint.";
          break;
        case BreakerState::Closed:
          narration = "A request to the endpoint succeeded after the cool-off; its breaker closed.";
          break;
      }
      telemetry::log_event(state == BreakerState::Open ? LogLevel::Warn : LogLevel::Info, "breaker",
                           {}, narration,
                           {{"endpoint", std::string_view(e.url)},
                            {"pool", std::string_view(e.pool_id)},
                            {"state", placement::to_string(state)}});
    }
    if (panic != entry.observed_panic) {
      entry.observed_panic = panic;
      telemetry::log_event(
          panic ? LogLevel::Warn : LogLevel::Info, "panic_routing", {},
          panic ? "The endpoint's breaker is open, but ejecting it would exceed "
                  "breaker.max_ejection_percent of its models' ready endpoints (and never the "
                  "last one); it keeps serving requests, and its health probes decide whether it "
                  "is down."
                : "Panic routing ended for the endpoint: its breaker closed, or enough other "
                  "endpoints are in service again.",
          {{"endpoint", std::string_view(e.url)},
           {"pool", std::string_view(e.pool_id)},
           {"panic", panic}});
    }
  }
  return stale;
}

}  // namespace sy::control
