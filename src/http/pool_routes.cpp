#include "http/pool_routes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/json_writer.hpp"
#include "config/config.hpp"
#include "http/request_head.hpp"
#include "http/route_answer.hpp"

namespace sy::http {

namespace asio = boost::asio;

namespace {

// The native API's version (api/openapi.yaml info.version).
constexpr std::string_view kApiVersion = "1.0.0";

// One pool's health and load, from the registry snapshot and the shared slot board.
void append_pool_health(JsonWriter& w, const RequestContext& rc, const control::Registry& registry,
                        std::uint32_t pool_index) {
  const placement::RegistrySnapshot& snap = registry.placement;
  const placement::PoolSnapshot& pool = snap.pools[pool_index];
  const auto& board = *rc.worker.shared.control.board();
  bool live = false;
  std::uint64_t total = 0;
  std::uint64_t free = 0;
  for (const std::uint32_t e : pool.endpoint_indices) {
    if (e >= snap.endpoints.size() || snap.endpoints[e].serial == 0) continue;
    const placement::EndpointSnapshot& ep = snap.endpoints[e];
    live = live || ep.ready;
    total += pool.slots;
    if (ep.ready && !ep.ejected) {
      const std::uint32_t used = board.in_flight(e);
      free += used < pool.slots ? pool.slots - used : 0;
    }
  }
  std::uint64_t queued = 0;
  for (const std::string& model : pool.models) queued += board.queued(model);
  w.begin_object()
      .field("id", std::string_view(pool.id))
      .field("live", live)
      .field("ready", snap.pool_ready(pool_index))
      .field("draining", rc.worker.shared.draining.load(std::memory_order_relaxed))
      .field("slots_total", total)
      .field("slots_free", free)
      .field("queue_depth", queued)
      .end_object();
}

// Pool indices sorted by pool id.
std::vector<std::uint32_t> pools_by_id(const placement::RegistrySnapshot& snap) {
  std::vector<std::uint32_t> order(snap.pools.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return snap.pools[a].id < snap.pools[b].id; });
  return order;
}

}  // namespace

asio::awaitable<bool> serve_capabilities(RequestContext& rc) {
  const auto registry = rc.worker.registry();
  const placement::RegistrySnapshot& snap = registry->placement;
  std::string body;
  JsonWriter w(body);
  w.begin_object().field("api_version", kApiVersion).key("engines").begin_array();
  for (const std::uint32_t i : pools_by_id(snap)) {
    const placement::PoolSnapshot& pool = snap.pools[i];
    std::uint64_t ready_endpoints = 0;
    for (const std::uint32_t e : pool.endpoint_indices) {
      if (e < snap.endpoints.size() && snap.endpoints[e].ready && !snap.endpoints[e].ejected) {
        ++ready_endpoints;
      }
    }
    std::string_view engine = "openai";
    for (const config::Pool& p : registry->config->pools) {
      if (p.id == pool.id) engine = config::to_string(p.engine);
    }
    w.begin_object()
        .field("engine", engine)
        .field("pool_id", std::string_view(pool.id))
        .key("model_refs")
        .begin_array();
    for (const std::string& m : pool.models) w.value(std::string_view(m));
    w.end_array()
        .field("ctx_max", static_cast<std::uint64_t>(pool.ctx_max))
        .field("slots", ready_endpoints * pool.slots)  // what the ready endpoints accept
        .key("supported_workloads")
        .begin_array()
        .value("completion")
        .end_array()
        .key("features")
        .begin_object()
        .field("streaming", true)
        .field("cancel", true)
        .field("resume", true)
        .field("seed", true)
        .end_object()
        .end_object();
  }
  w.end_array().end_object();
  co_return co_await answer(rc, 200, "application/json", body);
}

asio::awaitable<bool> serve_pools(RequestContext& rc) {
  const auto registry = rc.worker.registry();
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("pools").begin_array();
  for (const std::uint32_t i : pools_by_id(registry->placement)) {
    append_pool_health(w, rc, *registry, i);
  }
  w.end_array().end_object();
  co_return co_await answer(rc, 200, "application/json", body);
}

asio::awaitable<bool> serve_pool_health(RequestContext& rc) {
  const std::string_view rest = rc.path().substr(kPoolPathPrefix.size());
  const std::string_view id = rest.substr(0, rest.find('/'));
  const auto registry = rc.worker.registry();
  const placement::RegistrySnapshot& snap = registry->placement;
  for (std::uint32_t i = 0; i < snap.pools.size(); ++i) {
    if (snap.pools[i].id != id) continue;
    std::string body;
    JsonWriter w(body);
    append_pool_health(w, rc, *registry, i);
    co_return co_await answer(rc, 200, "application/json", body);
  }
  const Error missing{ErrorCode::NotFound, fmt::format("No pool '{}' is configured.", id), {}, 0};
  co_return co_await answer_native_error(rc, missing);
}

}  // namespace sy::http
