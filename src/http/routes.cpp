#include "http/routes.hpp"

#include <fmt/format.h>

#include <array>

#include "api/completion_request.hpp"
#include "common/json_writer.hpp"
#include "http/http1_sink.hpp"
#include "http/request_head.hpp"
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

asio::awaitable<bool> answer(RequestContext& rc, int status, std::string_view type,
                             std::string_view body) {
  rc.worker.metrics.count_request(rc.info.route, status);
  co_return co_await write_response(rc.client, status, type, body, rc.info.correlation_id,
                                    rc.reply()) &&
      rc.keep_alive;
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
  const auto snap = rc.worker.registry();
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
  if (rc.path.size() <= kModelPathPrefix.size()) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().field("object", std::string_view("list")).key("data").begin_array();
    for (const std::string& model : rc.worker.registry()->ready_models()) {
      append_model(w, shared, model);
    }
    w.end_array().end_object();
    co_return co_await answer(rc, 200, "application/json", out);
  }
  std::string model;
  const bool decoded =
      percent_decode(std::string_view(rc.path).substr(kModelPathPrefix.size()), model);
  if (decoded && rc.worker.registry()->model_ready(model)) {
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

// ---- completions ----

// Parses the body, picks the sink for the client's transport and runs the relay's pipeline.
// A template, not a wrapper per kind: every coroutine frame on a stream's chain stays allocated
// for the stream's whole life.
template <api::CompletionKind kind>
asio::awaitable<bool> serve_completion(RequestContext& rc) {
  relay::RelayDeps deps = rc.worker.relay_deps();
  auto parsed = api::parse_completion_request(kind, std::move(rc.body));
  if (!parsed) {
    UnaryJsonSink sink(rc.client, rc.client_buffer, rc.info.correlation_id, rc.reply());
    (void)co_await relay::answer_error(deps, &rc.info, &sink, parsed.error());
    co_return sink.reusable();
  }
  // An HTTP/1.0 client cannot take a chunked stream: its stream ends with the connection.
  if (parsed->stream && rc.http10) rc.keep_alive = false;
  const std::string correlation_id = rc.info.correlation_id;
  if (parsed->stream) {
    SseSink sink(rc.client, rc.client_buffer, correlation_id, rc.reply(),
                 rc.http10 ? SseSink::Framing::CloseDelimited : SseSink::Framing::Chunked);
    co_await relay::run_completion(deps, std::move(rc.info), std::move(*parsed), &sink);
    co_await sink.stop_watch();
    co_return sink.reusable();
  }
  UnaryJsonSink sink(rc.client, rc.client_buffer, correlation_id, rc.reply());
  co_await relay::run_completion(deps, std::move(rc.info), std::move(*parsed), &sink);
  co_await sink.stop_watch();
  co_return sink.reusable();
}

constexpr std::array<RouteEntry, 6> kRoutes{{
    {Route::ChatCompletions, Methods::Post, &serve_completion<api::CompletionKind::Chat>},
    {Route::Completions, Methods::Post, &serve_completion<api::CompletionKind::Text>},
    {Route::Models, Methods::Get, &serve_models},
    {Route::Health, Methods::Get, &serve_health},
    {Route::Ready, Methods::Get, &serve_ready},
    {Route::Metrics, Methods::Get, &serve_metrics},
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
