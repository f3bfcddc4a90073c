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

}  // namespace

ControlPlane::ControlPlane(asio::io_context& control, const config::Config& config,
                           telemetry::ControlGauges& gauges)
    : control_(control), config_(config), gauges_(gauges), poll_timer_(control) {
  for (std::uint32_t p = 0; p < config.pools.size(); ++p) {
    const config::Pool& pool = config.pools[p];
    placement::PoolSnapshot ps;
    ps.id = pool.id;
    ps.models = pool.models;
    ps.slots = pool.slots;
    ps.ctx_max = pool.ctx_max;
    for (const config::Endpoint& e : pool.endpoints) {
      EndpointInfo info;
      info.index = static_cast<std::uint32_t>(endpoints_.size());
      info.pool_index = p;
      info.pool_id = pool.id;
      info.url = e.url;
      info.host = e.host;
      info.port = e.port;
      info.base_path = e.base_path;
      // RFC 7230: an IPv6 literal in Host is bracketed.
      const bool ipv6 = e.host.find(':') != std::string::npos;
      info.host_header = (ipv6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port);
      info.health_path = pool.health_path.empty() ? "/health" : pool.health_path;
      info.protocol = pool.engine == config::EngineProtocol::LlamaCpp ? engines::Protocol::LlamaCpp
                                                                      : engines::Protocol::OpenAI;
      ps.endpoint_indices.push_back(info.index);
      endpoints_.push_back(std::move(info));
      health_.emplace_back(config.health.healthy_after, config.health.unhealthy_after);
      auto g = std::make_unique<telemetry::ControlGauges::Endpoint>();
      g->pool = pool.id;
      g->url = e.url;
      gauges_.endpoints.push_back(std::move(g));
    }
    pools_.push_back(std::move(ps));
  }
  SchedulerConfig sc;
  sc.queue_capacity = config.queue.capacity;
  sc.policy = to_admission(config.queue.policy);
  sc.breaker_failure_threshold = config.breaker.failure_threshold;
  sc.breaker_open_for = Millis(config.breaker.open_ms);
  sc.max_ejection_percent = config.breaker.max_ejection_percent;
  sc.session_max_entries = config.sessions.max_entries;
  sc.session_ttl = Millis(config.sessions.ttl_ms);
  publish_snapshot();
  scheduler_ = std::make_unique<Scheduler>(sc, snapshot());
  board_ = scheduler_->board();
  observed_breaker_.assign(endpoints_.size(), placement::BreakerState::Closed);
  observed_panic_.assign(endpoints_.size(), false);
  for (const std::string& model : scheduler_->models()) {
    auto q = std::make_unique<telemetry::ControlGauges::ModelQueue>();
    q->model = model;
    gauges_.queues.push_back(std::move(q));
  }
}

void ControlPlane::publish_snapshot() {
  auto snap = std::make_shared<placement::RegistrySnapshot>();
  snap->version = ++version_;
  snap->pools = pools_;
  const TimePoint now = Clock::now();
  if (scheduler_) scheduler_->refresh_breakers(now);  // fresh ejection flags, not the last ones
  for (const EndpointInfo& e : endpoints_) {
    placement::EndpointSnapshot es;
    es.index = e.index;
    es.pool_index = e.pool_index;
    es.url = e.url;
    es.ready = health_[e.index].ready();
    es.breaker =
        scheduler_ ? scheduler_->breaker_state(e.index, now) : placement::BreakerState::Closed;
    es.ejected = scheduler_ && scheduler_->ejected(e.index);
    snap->endpoints.push_back(std::move(es));
  }
  snapshot_.publish(std::move(snap));
  gauges_.snapshot_version.store(version_, std::memory_order_relaxed);
}

void ControlPlane::start() { schedule_poll(); }

std::uint32_t ControlPlane::probe_interval_ms(std::uint32_t endpoint) const {
  // An endpoint that is not ready yet is probed four times as often, so a pool comes up quickly
  // after start or recovery (config::soonest_recovery_ms relies on this rate).
  const std::uint32_t interval = config_.health.interval_ms;
  return health_[endpoint].ready() ? interval : std::max<std::uint32_t>(interval / 4, 50);
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
    reject_unready();  // also catches a ticket that raced a readiness change on its way here
    refresh_gauges();
    schedule_poll();
  });
}

void ControlPlane::on_probe_result(std::uint32_t endpoint, bool ok) {
  if (stopped_ || !health_[endpoint].on_probe(ok)) return;
  const bool ready = health_[endpoint].ready();
  telemetry::log_event(ready ? LogLevel::Info : LogLevel::Warn, "endpoint_health", {},
                       ready ? "Endpoint passed its health probes and takes requests now."
                             : "Endpoint failed its health probes; no new requests go to it.",
                       {{"endpoint", std::string_view(endpoints_[endpoint].url)},
                        {"pool", std::string_view(endpoints_[endpoint].pool_id)},
                        {"ready", ready}});
  publish_snapshot();
  dispatch_all(scheduler_->update_registry(snapshot(), Clock::now()));
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
                 config::soonest_recovery_ms(config_.health)});
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
        asio::post(waiter->executor, [waiter, position] {
          if (waiter->state != AdmissionWaiter::State::Waiting) return;
          waiter->queued = true;
          waiter->position = position;
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

void ControlPlane::release_unused(std::uint32_t endpoint) {
  asio::post(control_, [this, endpoint] {
    if (stopped_) return;
    dispatch_all(scheduler_->release_unused(endpoint, Clock::now()));
    refresh_gauges();
  });
}

void ControlPlane::release(std::uint32_t endpoint, bool ok) {
  asio::post(control_, [this, endpoint, ok] {
    if (stopped_) return;
    dispatch_all(scheduler_->release(endpoint, ok, Clock::now()));
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
    asio::post(waiter->executor, [waiter, p = *pos] { waiter->position = p; });
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

void ControlPlane::grant(std::shared_ptr<AdmissionWaiter> waiter, std::uint32_t endpoint) {
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
  for (std::uint32_t i = 0; i < endpoints_.size(); ++i) {
    auto& g = *gauges_.endpoints[i];
    g.breaker.store(breaker_gauge(observed_breaker_[i]), std::memory_order_relaxed);
    g.panic.store(observed_panic_[i] ? 1 : 0, std::memory_order_relaxed);
    g.ready.store(health_[i].ready() ? 1 : 0, std::memory_order_relaxed);
    g.in_flight.store(scheduler_->in_flight(i), std::memory_order_relaxed);
  }
  gauges_.panic_routed.store(scheduler_->panic_routed(), std::memory_order_relaxed);
  if (snapshot_stale) publish_snapshot();
}

bool ControlPlane::observe_breakers(TimePoint now) {
  using placement::BreakerState;
  scheduler_->refresh_breakers(now);
  bool stale = false;
  const auto snap = snapshot();
  for (std::uint32_t i = 0; i < endpoints_.size(); ++i) {
    const EndpointInfo& e = endpoints_[i];
    const BreakerState state = scheduler_->breaker_state(i, now);
    const bool panic = scheduler_->in_panic(i);
    if (snap && i < snap->endpoints.size() &&
        (snap->endpoints[i].breaker != state ||
         snap->endpoints[i].ejected != scheduler_->ejected(i))) {
      stale = true;
    }
    if (state != observed_breaker_[i]) {
      observed_breaker_[i] = state;
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
    if (panic != observed_panic_[i]) {
      observed_panic_[i] = panic;
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
