#include "server/connection.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
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
#include "server/request_head.hpp"
#include "server/response_writer.hpp"
#include "telemetry/log.hpp"

namespace sy::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kToken = asio::as_tuple(asio::use_awaitable);

void append_model(JsonWriter& w, const ServerShared& shared, std::string_view model) {
  w.begin_object()
      .field("id", model)
      .field("object", std::string_view("model"))
      .field("created", shared.started_unix_s)
      .field("owned_by", std::string_view("switchyard"))
      .end_object();
}

std::string models_body(Worker& worker) {
  const ServerShared& shared = worker.shared;
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("object", std::string_view("list")).key("data").begin_array();
  for (const std::string& model : worker.registry()->ready_models()) {
    append_model(w, shared, model);
  }
  w.end_array().end_object();
  return out;
}

// How long a connection closed after an error answer keeps reading (and discarding) what the
// client still sends, so the answer is not destroyed by a TCP reset (see linger_close).
constexpr auto kLingerFor = std::chrono::seconds(2);

asio::awaitable<void> discard_input(tcp::socket& socket) {
  std::array<char, 2048> sink;
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), kToken);
    if (ec) co_return;
  }
}

// Closing a socket with unread input makes the kernel send RST, and a client still uploading an
// over-limit body would then lose the 413 in its receive buffer. So: FIN first, then read and
// drop the rest for a bounded time, then close (what nginx calls lingering close).
asio::awaitable<void> linger_close(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  asio::steady_timer deadline(socket.get_executor());
  deadline.expires_after(kLingerFor);
  co_await (discard_input(socket) || deadline.async_wait(kToken));
}

const HeaderList kAllowGet{{"Allow", "GET, HEAD"}};
const HeaderList kAllowPost{{"Allow", "POST"}};

std::string ready_body(Worker& worker, bool& ready) {
  const ServerShared& shared = worker.shared;
  const auto snap = worker.registry();
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
asio::awaitable<bool> serve_simple(RequestContext& rc, http::verb method, std::string path) {
  ServerShared& shared = rc.worker.shared;
  if (method != http::verb::get && method != http::verb::head) {
    const Error e{ErrorCode::MethodNotAllowed, "This route only answers GET.", {}, 0};
    rc.worker.metrics.count_request(rc.route, 405);
    co_return co_await write_error(rc.client, e, rc.correlation_id, rc.reply(), &kAllowGet) &&
        rc.keep_alive;
  }
  if (rc.route == Route::Models && path.size() > kModelPathPrefix.size()) {
    // GET /v1/models/{model}: the model's object while a ready pool serves it, else 404.
    std::string model;
    const bool decoded =
        percent_decode(std::string_view(path).substr(kModelPathPrefix.size()), model);
    if (decoded && rc.worker.registry()->model_ready(model)) {
      std::string body;
      JsonWriter w(body);
      append_model(w, shared, model);
      rc.worker.metrics.count_request(rc.route, 200);
      co_return co_await write_response(rc.client, 200, "application/json", body, rc.correlation_id,
                                        rc.reply()) &&
          rc.keep_alive;
    }
    const Error e{ErrorCode::ModelNotFound,
                  decoded ? fmt::format("The model '{}' is not served here right now; GET "
                                        "/v1/models lists the models served.",
                                        model)
                          : std::string("The model id in the path is not validly percent-encoded."),
                  "model", 0};
    rc.worker.metrics.count_request(rc.route, 404);
    co_return co_await write_error(rc.client, e, rc.correlation_id, rc.reply()) && rc.keep_alive;
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
      body = ready_body(rc.worker, ready);
      status = ready ? 200 : 503;
      break;
    }
    case Route::Models:
      body = models_body(rc.worker);
      break;
    case Route::Metrics:
      body = render_metrics(shared.all_metrics, shared.gauges);
      type = "text/plain; version=0.0.4; charset=utf-8";
      break;
    default:
      break;
  }
  rc.worker.metrics.count_request(rc.route, status);
  co_return co_await write_response(rc.client, status, type, body, rc.correlation_id, rc.reply()) &&
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
  bool linger = false;     // an error answer left request bytes unread: close gracefully

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
        linger = true;
      } else if (hec == http::error::body_limit) {
        // Beast refuses a Content-Length over the limit while reading the head.
        Error e{ErrorCode::PayloadTooLarge,
                fmt::format("The request body exceeds {} bytes.", limits.max_body_bytes),
                {},
                0};
        worker.metrics.count_request(Route::Other, 413);
        const std::string id = make_uuid_v4();
        (void)co_await write_error(socket, e, id, false);
        linger = true;
      } else if (hec != http::error::end_of_stream && hec != asio::error::eof &&
                 hec != asio::error::operation_aborted && hec != asio::error::connection_reset &&
                 !timed_out) {
        Error e{ErrorCode::InvalidParams, "The request is not valid HTTP/1.1.", {}, 0};
        worker.metrics.count_request(Route::Other, 400);
        const std::string id = make_uuid_v4();
        (void)co_await write_error(socket, e, id, false);
        linger = true;
      }
      break;
    }
    auto& req = parser.get();
    const RequestHead head = interpret_request_head(head_fields(parser), limits.max_body_bytes);
    const std::string_view path = head.path;
    rc.route = head.route;
    rc.keep_alive = head.keep_alive;
    rc.http10 = head.http10;
    rc.head_only = head.head_only;
    rc.correlation_id =
        head.correlation_id.empty() ? make_uuid_v4() : std::string(head.correlation_id);
    rc.priority = std::string(head.priority);
    rc.deadline = std::string(head.deadline);
    rc.timeout_ms = std::string(head.timeout_ms);
    rc.session_id = std::string(head.session_id);

    if (head.body_too_large) {
      idle_timer.cancel();
      Error e{ErrorCode::PayloadTooLarge,
              fmt::format("The request body exceeds {} bytes.", limits.max_body_bytes),
              {},
              0};
      worker.metrics.count_request(rc.route, 413);
      (void)co_await write_error(socket, e, rc.correlation_id, false);
      linger = true;
      break;
    }
    if (head.send_continue) {
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
          linger = true;
        } else if (!timed_out && bec != asio::error::eof && bec != http::error::end_of_stream &&
                   bec != asio::error::connection_reset) {
          Error e{
              ErrorCode::InvalidParams, "The request body could not be read as HTTP/1.1.", {}, 0};
          worker.metrics.count_request(rc.route, 400);
          (void)co_await write_error(socket, e, rc.correlation_id, false);
          linger = true;
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
          keep = co_await write_error(socket, e, rc.correlation_id, rc.reply(), &kAllowPost) &&
                 rc.keep_alive;
          break;
        }
        {
          // The head's fields are copied into rc; free them (and any body slack) before a stream
          // that may last minutes.
          std::string body = std::move(req.body());
          (void)parser.release();
          if (buffer.size() == 0) buffer.shrink_to_fit();
          keep = co_await handle_completion(rc,
                                            rc.route == Route::ChatCompletions
                                                ? api::CompletionKind::Chat
                                                : api::CompletionKind::Text,
                                            body);
        }
        break;
      case Route::Other: {
        worker.metrics.count_request(rc.route, 404);
        Error e{ErrorCode::NotFound,
                fmt::format("No route for {} {}.", std::string_view(req.method_string()), path),
                {},
                0};
        keep = co_await write_error(socket, e, rc.correlation_id, rc.reply()) && rc.keep_alive;
        break;
      }
      default:
        keep = co_await serve_simple(rc, req.method(), std::string(path));
        break;
    }
    if (!keep || !socket.is_open()) break;
    // A large request body grew the buffer; don't keep megabytes per idle keep-alive connection.
    if (buffer.size() == 0 && buffer.capacity() > 16 * 1024) buffer.shrink_to_fit();
  }
  idle_timer.cancel();
  // A timer handler that was already queued must run before the locals it uses go away.
  co_await asio::post(socket.get_executor(), asio::use_awaitable);
  if (linger && socket.is_open()) co_await linger_close(socket);
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  worker.metrics.open_connections.add(-1);
}

}  // namespace sy::server
