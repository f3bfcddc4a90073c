// How the control plane's registry changes at run time: a configuration is matched against the
// endpoints that serve now (by pool id and URL, so an endpoint that stays keeps its id, health,
// breaker and idle connections), new endpoints get a free id, removed ones drain and are retired
// once nothing runs on them. And reload(): re-read, check, apply, narrate.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <utility>

#include "control/control_plane.hpp"
#include "telemetry/log.hpp"

namespace sy::control {

using telemetry::LogLevel;

namespace {

// A retired id waits this long before it is handed to a new endpoint, so that a request that
// read the registry just before the endpoint was removed cannot meet the id's next owner.
constexpr auto kIdQuarantine = std::chrono::seconds(10);

std::shared_ptr<const EndpointInfo> make_info(EndpointId id, std::uint64_t serial,
                                              std::uint32_t pool_index, const config::Pool& pool,
                                              const config::Endpoint& e) {
  auto info = std::make_shared<EndpointInfo>();
  info->id = id;
  info->serial = serial;
  info->pool_index = pool_index;
  info->pool_id = pool.id;
  info->url = e.url;
  info->host = e.host;
  info->port = e.port;
  info->base_path = e.base_path;
  // RFC 7230: an IPv6 literal in Host is bracketed.
  const bool ipv6 = e.host.find(':') != std::string::npos;
  info->host_header = (ipv6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port);
  info->health_path = pool.health_path.empty() ? "/health" : pool.health_path;
  info->protocol = pool.engine == config::EngineProtocol::LlamaCpp ? engines::Protocol::LlamaCpp
                                                                   : engines::Protocol::OpenAI;
  return info;
}

bool same_facts(const EndpointInfo& a, const EndpointInfo& b) {
  return a.pool_index == b.pool_index && a.health_path == b.health_path && a.protocol == b.protocol;
}

}  // namespace

EndpointId ControlPlane::allocate_id() {
  const TimePoint now = Clock::now();
  if (!free_ids_.empty() && (free_ids_.front().second + kIdQuarantine <= now ||
                             entries_.size() >= SlotBoard::kMaxEndpoints)) {
    const EndpointId id = free_ids_.front().first;
    free_ids_.pop_front();
    return id;
  }
  entries_.emplace_back();
  return static_cast<EndpointId>(entries_.size() - 1);
}

RegistryChange ControlPlane::build_registry(const config::Config& next) {
  RegistryChange change;
  std::map<std::pair<std::string_view, std::string_view>, EndpointId> serving;
  for (EndpointId id = 0; id < entries_.size(); ++id) {
    const Entry& entry = entries_[id];
    if (entry.phase != Phase::Serving) continue;
    serving.emplace(
        std::pair<std::string_view, std::string_view>{entry.info->pool_id, entry.info->url}, id);
  }
  std::vector<placement::PoolSnapshot> pools;
  for (std::uint32_t p = 0; p < next.pools.size(); ++p) {
    const config::Pool& pool = next.pools[p];
    placement::PoolSnapshot ps;
    ps.id = pool.id;
    ps.models = pool.models;
    ps.slots = pool.slots;
    ps.ctx_max = pool.ctx_max;
    for (const config::Endpoint& e : pool.endpoints) {
      const auto it = serving.find(std::pair{std::string_view(pool.id), std::string_view(e.url)});
      EndpointId id = 0;
      if (it != serving.end()) {
        id = it->second;
        serving.erase(it);
        Entry& entry = entries_[id];
        auto info = make_info(id, entry.info->serial, p, pool, e);
        if (!same_facts(*info, *entry.info)) entry.info = std::move(info);
        ++change.kept;
      } else {
        id = allocate_id();
        Entry& entry = entries_[id];
        entry = Entry{};
        entry.phase = Phase::Serving;
        entry.info = make_info(id, next_serial_++, p, pool, e);
        entry.health =
            placement::HealthTracker(next.health.healthy_after, next.health.unhealthy_after);
        entry.gauge = std::make_shared<telemetry::ControlGauges::Endpoint>();
        entry.gauge->pool = pool.id;
        entry.gauge->url = e.url;
        added_.push_back(id);
        ++change.added;
      }
      ps.endpoint_indices.push_back(id);
    }
    pools.push_back(std::move(ps));
  }
  pools_ = std::move(pools);
  // What serves now and is not in `next` any more drains.
  for (const auto& [key, id] : serving) {
    entries_[id].phase = Phase::Draining;
    entries_[id].drain_deadline = Clock::now() + Millis(next.limits.endpoint_drain_ms);
    entries_[id].drain_expired = false;
    removed_.push_back(id);
    ++change.removed;
  }
  return change;
}

RegistryChange ControlPlane::apply(std::shared_ptr<const config::Config> next) {
  config_ = std::move(next);
  const RegistryChange change = build_registry(*config_);
  const TimePoint now = Clock::now();
  publish_snapshot();
  dispatch_all(scheduler_->update_registry(placement_view(), now));
  for (const EndpointId id : removed_) {
    const Entry& entry = entries_[id];
    telemetry::log_event(
        LogLevel::Info, "endpoint_removed", {},
        "The endpoint is no longer configured: it takes no new requests, and the ones running "
        "on it may finish within limits.endpoint_drain_ms.",
        {{"endpoint", std::string_view(entry.info->url)},
         {"pool", std::string_view(entry.info->pool_id)},
         {"running", static_cast<std::uint64_t>(board_->in_flight(id))}});
    if (observer_ != nullptr) observer_->endpoint_removed(*entry.info);
  }
  for (const EndpointId id : added_) {
    const Entry& entry = entries_[id];
    telemetry::log_event(LogLevel::Info, "endpoint_added", {},
                         "A new endpoint is configured; it takes requests once its health "
                         "probes pass.",
                         {{"endpoint", std::string_view(entry.info->url)},
                          {"pool", std::string_view(entry.info->pool_id)}});
    if (observer_ != nullptr) observer_->endpoint_added(entry.info);
  }
  added_.clear();
  removed_.clear();
  check_draining(now);
  reject_unready();
  publish_gauge_lists();
  refresh_gauges();
  return change;
}

void ControlPlane::check_draining(TimePoint now) {
  bool retired_any = false;
  for (EndpointId id = 0; id < entries_.size(); ++id) {
    Entry& entry = entries_[id];
    if (entry.phase != Phase::Draining) continue;
    if (board_->in_flight(id) == 0) {
      retire(id);
      retired_any = true;
      continue;
    }
    if (!entry.drain_expired && now >= entry.drain_deadline) {
      entry.drain_expired = true;
      telemetry::log_event(
          LogLevel::Warn, "endpoint_drain_expired", {},
          "A removed endpoint still had requests running when its drain deadline passed; they "
          "are ended with endpoint_removed and their engine connections closed.",
          {{"endpoint", std::string_view(entry.info->url)},
           {"running", static_cast<std::uint64_t>(board_->in_flight(id))}});
      if (observer_ != nullptr) observer_->drain_expired(*entry.info);
    }
  }
  if (retired_any) {
    publish_snapshot();
    publish_gauge_lists();
  }
}

void ControlPlane::retire(EndpointId id) {
  Entry& entry = entries_[id];
  telemetry::log_event(LogLevel::Info, "endpoint_retired", {},
                       "A removed endpoint has nothing running any more; it is forgotten.",
                       {{"endpoint", std::string_view(entry.info->url)},
                        {"pool", std::string_view(entry.info->pool_id)}});
  if (observer_ != nullptr) observer_->endpoint_retired(*entry.info);
  entry = Entry{};
  free_ids_.emplace_back(id, Clock::now());
}

void ControlPlane::publish_gauge_lists() {
  std::vector<std::shared_ptr<telemetry::ControlGauges::Endpoint>> endpoints;
  for (const Entry& entry : entries_) {
    if (entry.gauge) endpoints.push_back(entry.gauge);
  }
  std::vector<std::shared_ptr<telemetry::ControlGauges::ModelQueue>> queues;
  std::unordered_map<std::string, std::shared_ptr<telemetry::ControlGauges::ModelQueue>> by_model;
  for (const std::string& model : scheduler_->models()) {
    auto it = queue_gauges_.find(model);
    auto gauge = it != queue_gauges_.end()
                     ? it->second
                     : std::make_shared<telemetry::ControlGauges::ModelQueue>();
    gauge->model = model;
    queues.push_back(gauge);
    by_model.emplace(model, std::move(gauge));
  }
  queue_gauges_ = std::move(by_model);
  std::lock_guard lock(gauges_.lists_mutex);
  gauges_.endpoints = std::move(endpoints);
  gauges_.queues = std::move(queues);
}

Result<RegistryChange> ControlPlane::reload(const config::ConfigSource& source) {
  auto next = config::load_config(source);
  if (!next) {
    Error error{ErrorCode::InvalidConfig,
                next.error().message + " (the running configuration stays in force)",
                {},
                0};
    telemetry::log_event(LogLevel::Warn, "reload_refused", {},
                         "The configuration file is not valid; nothing was changed.",
                         {{"error", std::string_view(next.error().message)}});
    return fail(std::move(error));
  }
  const std::vector<std::string> restart = config::restart_only_changes(*config_, *next);
  if (!restart.empty()) {
    const std::string names = fmt::format("{}", fmt::join(restart, ", "));
    telemetry::log_event(LogLevel::Warn, "reload_refused", {},
                         "The new configuration changes settings that take effect only at "
                         "restart; nothing was changed.",
                         {{"settings", std::string_view(names)}});
    return fail(ErrorCode::RestartRequired,
                "These settings take effect only at restart: " + names +
                    ". Nothing was applied; the running configuration stays in force.");
  }
  telemetry::LogLevel level = telemetry::LogLevel::Info;
  if (telemetry::parse_log_level(next->log_level, level)) telemetry::set_log_level(level);
  const RegistryChange change = apply(std::make_shared<const config::Config>(std::move(*next)));
  telemetry::log_event(
      LogLevel::Info, "reloaded", {},
      fmt::format("The configuration was reloaded: {} endpoints added, {} removed (draining), {} "
                  "unchanged.",
                  change.added, change.removed, change.kept),
      {{"config", std::string_view(config_->source)},
       {"added", static_cast<std::uint64_t>(change.added)},
       {"removed", static_cast<std::uint64_t>(change.removed)},
       {"kept", static_cast<std::uint64_t>(change.kept)}});
  return change;
}

}  // namespace sy::control
