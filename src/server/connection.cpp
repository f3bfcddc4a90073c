#include "server/connection.hpp"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "common/ids.hpp"
#include "common/json_writer.hpp"
#include "server/completion_handler.hpp"
#include "server/request_context.hpp"
#include "server/response_writer.hpp"
#include "telemetry/log.hpp"

namespace sy::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kToken = asio::as_tuple(asio::use_awaitable);

Route route_of(std::string_view path) {
  if (path == "/v1/chat/completions") return Route::ChatCompletions;
  if (path == "/v1/completions") return Route::Completions;
  if (path == "/v1/models") return Route::Models;
  if (path == "/health") return Route::Health;
  if (path == "/ready") return Route::Ready;
  if (path == "/metrics") return Route::Metrics;
  return Route::Other;
}

std::string models_body(const ServerShared& shared) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("object", std::string_view("list")).key("data").begin_array();
  for (const std::string& model : shared.control.snapshot()->ready_models()) {
    w.begin_object()
        .field("id", std::string_view(model))
        .field("object", std::string_view("model"))
        .field("created", shared.started_unix_s)
        .field("owned_by", std::string_view("switchyard"))
        .end_object();
  }
  w.end_array().end_object();
  return out;
}

std::string ready_body(const ServerShared& shared, bool& ready) {
  const auto snap = shared.control.snapshot();
  ready = !shared.draining.load(std::memory_order_relaxed) && snap->any_pool_ready();
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("ready", ready).field("draining", shared.draining.load());
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
  return out;
}

// Answers the small GET routes. Returns false when the connection must close.
asio::awaitable<bool> serve_simple(RequestContext& rc, http::verb method) {
  ServerShared& shared = rc.worker.shared;
  if (method != http::verb::get && method != http::verb::head) {
    const Error e{ErrorCode::MethodNotAllowed, "This route only answers GET.", {}, 0};
    rc.worker.metrics.count_request(rc.route, 405);
    co_return co_await write_error(rc.client, e, rc.correlation_id, rc.keep_alive) && rc.keep_alive;
  }
  int status = 200;
  std::string body;
  std::string_view type = "application/json";
  switch (rc.route) {
    case Route::Health:
      body = R"({"status":"ok"})";  // liveness: this loop answers; no shared state touched
      break;
    case Route::Ready: {
      bool ready = false;
      body = ready_body(shared, ready);
      status = ready ? 200 : 503;
      break;
    }
    case Route::Models:
      body = models_body(shared);
      break;
    case Route::Metrics:
      body = render_metrics(shared.all_metrics, shared.gauges);
      type = "text/plain; version=0.0.4; charset=utf-8";
      break;
    default:
      break;
  }
  rc.worker.metrics.count_request(rc.route, status);
  co_return co_await write_response(rc.client, status, type, body, rc.correlation_id,
                                    rc.keep_alive) &&
      rc.keep_alive;
}

}  // namespace

asio::awaitable<void> serve_connection(Worker& worker, tcp::socket socket) {
  const config::Limits& limits = worker.shared.config.limits;
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  worker.metrics.open_connections.add(1);
  beast::flat_buffer buffer(static_cast<std::size_t>(limits.max_header_bytes) +
                            limits.max_body_bytes + 4096);
  asio::steady_timer idle_timer(socket.get_executor());
  bool timed_out = false;  // outlives every idle-timer handler (see the post at the end)

  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(limits.max_header_bytes);
    parser.body_limit(limits.max_body_bytes);

    // Idle keep-alive connections and slow senders are closed after idle_timeout_ms.
    timed_out = false;
    idle_timer.expires_after(Millis(limits.idle_timeout_ms));
    idle_timer.async_wait([&](boost::system::error_code tec) {
      if (!tec) {
        timed_out = true;
        boost::system::error_code ignored;
        socket.close(ignored);
      }
    });
    auto [hec, hn] = co_await http::async_read_header(socket, buffer, parser, kToken);
    RequestContext rc{worker, socket, buffer, {}, true, Clock::now(), Route::Other, {}, {}, {}, {}};
    if (hec) {
      idle_timer.cancel();
      if (hec == http::error::header_limit) {
        Error e{ErrorCode::HeadersTooLarge,
                fmt::format("Request headers exceed {} bytes.", limits.max_header_bytes),
                {},
                0};
        worker.metrics.count_request(Route::Other, 431);
        const std::string id = make_uuid_v4();
        (void)co_await write_error(socket, e, id, false);
      } else if (hec == http::error::body_limit) {
        // Beast refuses a Content-Length over the limit while reading the head.
        Error e{ErrorCode::PayloadTooLarge,
                fmt::format("The request body exceeds {} bytes.", limits.max_body_bytes),
                {},
                0};
        worker.metrics.count_request(Route::Other, 413);
        const std::string id = make_uuid_v4();
        (void)co_await write_error(socket, e, id, false);
      } else if (hec != http::error::end_of_stream && hec != asio::error::eof &&
                 hec != asio::error::operation_aborted && hec != asio::error::connection_reset &&
                 !timed_out) {
        Error e{ErrorCode::InvalidParams, "The request is not valid HTTP/1.1.", {}, 0};
        worker.metrics.count_request(Route::Other, 400);
        const std::string id = make_uuid_v4();
        (void)co_await write_error(socket, e, id, false);
      }
      break;
    }
    auto& req = parser.get();
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    rc.route = route_of(path);
    rc.keep_alive = req.keep_alive();
    const std::string_view incoming_id = req["X-Correlation-Id"];
    rc.correlation_id =
        is_acceptable_correlation_id(incoming_id) ? std::string(incoming_id) : make_uuid_v4();
    rc.priority = std::string(req["X-Priority"]);
    rc.deadline = std::string(req["X-Deadline"]);
    rc.timeout_ms = std::string(req["X-Timeout-Ms"]);
    rc.session_id = std::string(req["X-Session-Id"]);

    if (const auto len = parser.content_length(); len && *len > limits.max_body_bytes) {
      idle_timer.cancel();
      Error e{ErrorCode::PayloadTooLarge,
              fmt::format("The request body exceeds {} bytes.", limits.max_body_bytes),
              {},
              0};
      worker.metrics.count_request(rc.route, 413);
      (void)co_await write_error(socket, e, rc.correlation_id, false);
      break;
    }
    if (req[http::field::expect] == "100-continue" && !parser.is_done()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(kContinue), kToken);
      if (wec) break;
    }
    if (!parser.is_done()) {
      auto [bec, bn] = co_await http::async_read(socket, buffer, parser, kToken);
      if (bec) {
        idle_timer.cancel();
        if (bec == http::error::body_limit) {
          Error e{ErrorCode::PayloadTooLarge,
                  fmt::format("The request body exceeds {} bytes.", limits.max_body_bytes),
                  {},
                  0};
          worker.metrics.count_request(rc.route, 413);
          (void)co_await write_error(socket, e, rc.correlation_id, false);
        } else if (!timed_out && bec != asio::error::eof && bec != http::error::end_of_stream &&
                   bec != asio::error::connection_reset) {
          Error e{
              ErrorCode::InvalidParams, "The request body could not be read as HTTP/1.1.", {}, 0};
          worker.metrics.count_request(rc.route, 400);
          (void)co_await write_error(socket, e, rc.correlation_id, false);
        }
        break;
      }
    }
    idle_timer.cancel();
    if (timed_out) break;

    bool keep = false;
    switch (rc.route) {
      case Route::ChatCompletions:
      case Route::Completions:
        if (req.method() != http::verb::post) {
          worker.metrics.count_request(rc.route, 405);
          const Error e{ErrorCode::MethodNotAllowed, "Use POST for this route.", {}, 0};
          keep = co_await write_error(socket, e, rc.correlation_id, rc.keep_alive) && rc.keep_alive;
          break;
        }
        keep = co_await handle_completion(rc,
                                          rc.route == Route::ChatCompletions
                                              ? api::CompletionKind::Chat
                                              : api::CompletionKind::Text,
                                          req.body());
        break;
      case Route::Other: {
        worker.metrics.count_request(rc.route, 404);
        Error e{ErrorCode::NotFound,
                fmt::format("No route for {} {}.", std::string_view(req.method_string()), path),
                {},
                0};
        keep = co_await write_error(socket, e, rc.correlation_id, rc.keep_alive) && rc.keep_alive;
        break;
      }
      default:
        keep = co_await serve_simple(rc, req.method());
        break;
    }
    if (!keep || !socket.is_open()) break;
    // A large request body grew the buffer; don't keep megabytes per idle keep-alive connection.
    if (buffer.size() == 0 && buffer.capacity() > 16 * 1024) buffer.shrink_to_fit();
  }
  idle_timer.cancel();
  // A timer handler that was already queued must run before the locals it uses go away.
  co_await asio::post(socket.get_executor(), asio::use_awaitable);
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  worker.metrics.open_connections.add(-1);
}

}  // namespace sy::server
