#include "http/routes.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <variant>

#include "api/completion_request.hpp"
#include "common/json_writer.hpp"
#include "http/http1_sink.hpp"
#include "http/pool_routes.hpp"
#include "http/request_head.hpp"
#include "http/route_answer.hpp"
#include "http/task_routes.hpp"
#include "relay/completion_pipeline.hpp"

namespace sy::http {

namespace asio = boost::asio;
using telemetry::Route;

namespace {

void append_model(JsonWriter& w, const ServerShared& shared, std::string_view model) {
  w.begin_object()
      .field("id", model)
      .field("object", std::string_view("model"))
      .field("created", shared.started_unix_s)
      .field("owned_by", std::string_view("switchyard"))
      .end_object();
}

asio::awaitable<bool> answer_error(RequestContext& rc, const Error& e) {
  rc.worker.metrics.count_request(rc.info.route, e.info().http_status);
  co_return co_await write_error(rc.client, e, rc.info.correlation_id, rc.reply()) && rc.keep_alive;
}

// ---- the small GET routes ----

asio::awaitable<bool> serve_health(RequestContext& rc) {
  // Liveness: this loop answers; no shared state touched.
  co_return co_await answer(rc, 200, "application/json", R"({"status":"ok"})");
}

asio::awaitable<bool> serve_ready(RequestContext& rc) {
  const ServerShared& shared = rc.worker.shared;
  const auto registry = rc.worker.registry();
  const placement::RegistrySnapshot* snap = &registry->placement;
  const bool draining = shared.draining.load(std::memory_order_relaxed);
  const bool ready = !draining && snap->any_pool_ready();
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("ready", ready).field("draining", draining);
  w.field("snapshot_version", snap->version);
  w.key("pools").begin_array();
  for (std::uint32_t i = 0; i < snap->pools.size(); ++i) {
    const auto& pool = snap->pools[i];
    std::uint64_t ready_endpoints = 0;
    for (std::uint32_t e : pool.endpoint_indices) {
      if (snap->endpoints[e].ready) ++ready_endpoints;
    }
    w.begin_object()
        .field("id", std::string_view(pool.id))
        .field("ready", snap->pool_ready(i))
        .field("endpoints_ready", ready_endpoints)
        .field("endpoints", static_cast<std::uint64_t>(pool.endpoint_indices.size()))
        .end_object();
  }
  w.end_array().end_object();
  co_return co_await answer(rc, ready ? 200 : 503, "application/json", out);
}

asio::awaitable<bool> serve_metrics(RequestContext& rc) {
  const ServerShared& shared = rc.worker.shared;
  const std::string body = telemetry::render_metrics(shared.all_metrics, shared.gauges);
  co_return co_await answer(rc, 200, "text/plain; version=0.0.4; charset=utf-8", body);
}

// GET /v1/models, and GET /v1/models/{model}: the model's object while a ready pool serves it.
asio::awaitable<bool> serve_models(RequestContext& rc) {
  const ServerShared& shared = rc.worker.shared;
  if (rc.path().size() <= kModelPathPrefix.size()) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().field("object", std::string_view("list")).key("data").begin_array();
    for (const std::string& model : rc.worker.registry()->placement.ready_models()) {
      append_model(w, shared, model);
    }
    w.end_array().end_object();
    co_return co_await answer(rc, 200, "application/json", out);
  }
  std::string model;
  const bool decoded = percent_decode(rc.path().substr(kModelPathPrefix.size()), model);
  if (decoded && rc.worker.registry()->placement.model_ready(model)) {
    std::string body;
    JsonWriter w(body);
    append_model(w, shared, model);
    co_return co_await answer(rc, 200, "application/json", body);
  }
  const Error e{ErrorCode::ModelNotFound,
                decoded ? fmt::format("The model '{}' is not served here right now; GET "
                                      "/v1/models lists the models served.",
                                      model)
                        : std::string("The model id in the path is not validly percent-encoded."),
                "model", 0};
  co_return co_await answer_error(rc, e);
}

// ---- admin ----

// Compares in time that depends on the lengths only, not on where the bytes first differ.
bool same_secret(std::string_view given, std::string_view expected) noexcept {
  if (given.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
  }
  return diff == 0;
}

// Runs on the control thread (co_spawned there): the control plane's state is its alone.
asio::awaitable<Result<control::RegistryChange>> reload_on_control_thread(
    control::ControlPlane* control, const config::ConfigSource* source) {
  co_return control->reload(*source);
}

// POST /admin/reload: re-reads the configuration, as SIGHUP does, and says what changed.
asio::awaitable<bool> serve_admin_reload(RequestContext& rc) {
  // Errors are named objects, never temporaries in a co_await: GCC 12 destroys those twice.
  const std::shared_ptr<const config::Config> config = rc.worker.registry()->config;
  const std::string& token = config->admin.token;
  if (token.empty()) {
    const Error disabled{ErrorCode::AdminDisabled,
                         "The admin routes are disabled: set admin.token in the configuration.",
                         {},
                         0};
    co_return co_await answer_error(rc, disabled);
  }
  if (!same_secret(rc.bearer_token(), token)) {
    const Error unauthorized{
        ErrorCode::Unauthorized,
        "POST /admin/reload needs the header Authorization: Bearer <admin.token>.",
        {},
        0};
    co_return co_await answer_error(rc, unauthorized);
  }
  control::ControlPlane& control = rc.worker.shared.control;
  const auto outcome = co_await asio::co_spawn(
      control.context(), reload_on_control_thread(&control, &rc.worker.shared.source),
      asio::use_awaitable);
  if (!outcome) co_return co_await answer_error(rc, outcome.error());
  std::string body;
  JsonWriter(body)
      .begin_object()
      .field("reloaded", true)
      .field("added", static_cast<std::uint64_t>(outcome->added))
      .field("removed", static_cast<std::uint64_t>(outcome->removed))
      .field("kept", static_cast<std::uint64_t>(outcome->kept))
      .end_object();
  co_return co_await answer(rc, 200, "application/json", body);
}

// ---- completions ----

// Parses the body, picks the sink for the client's transport and runs the relay's pipeline.
// A template, not a wrapper per kind: every coroutine frame on a stream's chain stays allocated
// for the stream's whole life. For the same reason the pipeline gets the request, its info and
// the deps by address (this frame holds them; a copy per frame would cost memory per stream).
template <api::CompletionKind kind>
asio::awaitable<bool> serve_completion(RequestContext& rc) {
  const relay::RelayDeps* deps = &rc.worker.relay_deps();
  rc.info.config = rc.worker.registry()->config;
  auto parsed = api::parse_completion_request(kind, std::move(rc.body));
  // One slot for whichever sink the request needs (two named sinks would both be in the frame).
  std::variant<std::monostate, SseSink, UnaryJsonSink> sinks;
  Http1Sink* sink = nullptr;
  if (parsed && parsed->stream) {
    // An HTTP/1.0 client cannot take a chunked stream: its stream ends with the connection.
    if (rc.http10) rc.keep_alive = false;
    sink = &sinks.emplace<SseSink>(
        rc.client, rc.client_buffer, rc.info.correlation_id, rc.reply(),
        rc.http10 ? SseSink::Framing::CloseDelimited : SseSink::Framing::Chunked);
  } else {
    sink = &sinks.emplace<UnaryJsonSink>(rc.client, rc.client_buffer, rc.info.correlation_id,
                                         rc.reply());
  }
  if (parsed) {
    co_await relay::run_completion(deps, &rc.info, &*parsed, sink);
  } else {
    (void)co_await relay::answer_error(deps, &rc.info, sink, &parsed.error());
  }
  co_await sink->stop_watch();
  co_return sink->reusable();
}

constexpr std::array<RouteEntry, 15> kRoutes{{
    {Route::ChatCompletions, Methods::Post, &serve_completion<api::CompletionKind::Chat>},
    {Route::Completions, Methods::Post, &serve_completion<api::CompletionKind::Text>},
    {Route::Models, Methods::Get, &serve_models},
    {Route::Health, Methods::Get, &serve_health},
    {Route::Ready, Methods::Get, &serve_ready},
    {Route::Metrics, Methods::Get, &serve_metrics},
    {Route::AdminReload, Methods::Post, &serve_admin_reload},
    {Route::TaskSubmit, Methods::Post, &serve_task_submit},
    {Route::TaskStatus, Methods::Get, &serve_task_status},
    {Route::TaskStream, Methods::Get, &serve_task_stream},
    {Route::TaskCancel, Methods::Post, &serve_task_cancel},
    {Route::OpenApi, Methods::Get, &serve_openapi},
    {Route::Capabilities, Methods::Get, &serve_capabilities},
    {Route::Pools, Methods::Get, &serve_pools},
    {Route::PoolHealth, Methods::Get, &serve_pool_health},
}};

}  // namespace

const RouteEntry* find_route(Route route) noexcept {
  for (const RouteEntry& e : kRoutes) {
    if (e.route == route) return &e;
  }
  return nullptr;
}

bool allows(const RouteEntry& entry, std::string_view method) noexcept {
  return entry.methods == Methods::Post ? method == "POST" : method == "GET" || method == "HEAD";
}

std::string_view allow_header(const RouteEntry& entry) noexcept {
  return entry.methods == Methods::Post ? "POST" : "GET, HEAD";
}

}  // namespace sy::http
