#include "http/connection.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
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
#include <cstring>
#include <optional>

#include "common/ids.hpp"
#include "common/json_writer.hpp"
#include "http/request_context.hpp"
#include "http/request_head.hpp"
#include "http/response_writer.hpp"
#include "http/routes.hpp"
#include "http/socket_deadline.hpp"
#include "telemetry/log.hpp"

namespace sy::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using telemetry::LogLevel;

namespace {

constexpr auto kToken = asio::as_tuple(asio::use_awaitable);

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

Error body_too_large(const config::Limits& limits) {
  return Error{ErrorCode::PayloadTooLarge,
               fmt::format("The request body exceeds {} bytes.", limits.max_body_bytes),
               {},
               0};
}

// Answers a request that was not read to its end: counted under `route`; the connection then
// closes with a lingering close (see linger_close).
asio::awaitable<void> refuse_unread(Worker& worker, tcp::socket& socket, telemetry::Route route,
                                    Error error, std::string correlation_id) {
  worker.metrics.count_request(route, error.info().http_status);
  (void)co_await write_error(socket, error, correlation_id, false);
}

// The answer when the route table has no handler for the request: 404 without a route, 405
// (with Allow) for a method the route does not answer.
asio::awaitable<bool> refuse_route(RequestContext& rc, const RouteEntry* entry) {
  if (entry == nullptr) {
    rc.worker.metrics.count_request(rc.info.route, 404);
    const Error e{
        ErrorCode::NotFound, fmt::format("No route for {} {}.", rc.method(), rc.path()), {}, 0};
    co_return co_await write_error(rc.client, e, rc.info.correlation_id, rc.reply()) &&
        rc.keep_alive;
  }
  rc.worker.metrics.count_request(rc.info.route, 405);
  const Error e{
      ErrorCode::MethodNotAllowed,
      entry->methods == Methods::Post ? "Use POST for this route." : "This route only answers GET.",
      {},
      0};
  const HeaderList allow{{"Allow", std::string(allow_header(*entry))}};
  co_return co_await write_error(rc.client, e, rc.info.correlation_id, rc.reply(), &allow) &&
      rc.keep_alive;
}

// How reading one request ended.
enum class ReadOutcome : std::uint8_t {
  Request,  // rc holds a request to serve
  Closed,   // the client closed, went idle or failed: close quietly
  Refused,  // it was answered with an error with request bytes left unread: close gracefully
};

// Reads one request's head and body into `rc`, and answers itself the requests that cannot be
// served (too large, not HTTP). A coroutine of its own so that the parser and the refusal paths
// live only while a request is read, not in the frame that stays allocated for a whole stream.
asio::awaitable<ReadOutcome> read_request(RequestContext* rc_in, const config::Limits* limits) {
  RequestContext& rc = *rc_in;
  tcp::socket& socket = rc.client;
  beast::flat_buffer& buffer = rc.client_buffer;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(limits->max_header_bytes);
  parser.body_limit(limits->max_body_bytes);

  // Idle keep-alive connections and slow senders are closed after idle_timeout_ms.
  SocketDeadline idle_timer(socket);
  SocketDeadline* const idle = &idle_timer;
  rc.worker.timers.schedule(idle_timer, Clock::now() + Millis(limits->idle_timeout_ms));
  auto [hec, hn] = co_await bhttp::async_read_header(socket, buffer, parser, kToken);
  rc.info.arrived = Clock::now();
  if (hec) {
    idle->cancel();
    std::optional<Error> refusal;
    if (hec == bhttp::error::header_limit) {
      refusal = Error{ErrorCode::HeadersTooLarge,
                      fmt::format("Request headers exceed {} bytes.", limits->max_header_bytes),
                      {},
                      0};
    } else if (hec == bhttp::error::body_limit) {
      // Beast refuses a Content-Length over the limit while reading the head.
      refusal = body_too_large(*limits);
    } else if (hec != bhttp::error::end_of_stream && hec != asio::error::eof &&
               hec != asio::error::operation_aborted && hec != asio::error::connection_reset &&
               !idle->fired()) {
      refusal = Error{ErrorCode::InvalidParams, "The request is not valid HTTP/1.1.", {}, 0};
    }
    if (!refusal) co_return ReadOutcome::Closed;
    co_await refuse_unread(rc.worker, socket, telemetry::Route::Other, std::move(*refusal),
                           make_uuid_v4());
    co_return ReadOutcome::Refused;
  }
  auto& req = parser.get();
  const RequestHead head = interpret_request_head(head_fields(parser), limits->max_body_bytes);
  rc.info.route = head.route;
  rc.info.correlation_id =
      head.correlation_id.empty() ? make_uuid_v4() : std::string(head.correlation_id);
  rc.info.headers.set(
      {head.priority, head.deadline, head.timeout_ms, head.session_id, head.last_event_id});
  // The bearer token is kept for the admin routes only.
  rc.head.set(
      {req.method_string(), head.path,
       head.route == telemetry::Route::AdminReload ? head.bearer_token : std::string_view()});
  rc.keep_alive = head.keep_alive;
  rc.http10 = head.http10;
  rc.head_only = head.head_only;

  if (head.body_too_large) {
    idle->cancel();
    co_await refuse_unread(rc.worker, socket, rc.info.route, body_too_large(*limits),
                           rc.info.correlation_id);
    co_return ReadOutcome::Refused;
  }
  if (head.send_continue) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(kContinue), kToken);
    if (wec) co_return ReadOutcome::Closed;
  }
  if (!parser.is_done()) {
    auto [bec, bn] = co_await bhttp::async_read(socket, buffer, parser, kToken);
    if (bec) {
      idle->cancel();
      std::optional<Error> refusal;
      if (bec == bhttp::error::body_limit) {
        refusal = body_too_large(*limits);
      } else if (!idle->fired() && bec != asio::error::eof && bec != bhttp::error::end_of_stream &&
                 bec != asio::error::connection_reset) {
        refusal = Error{
            ErrorCode::InvalidParams, "The request body could not be read as HTTP/1.1.", {}, 0};
      }
      if (!refusal) co_return ReadOutcome::Closed;
      co_await refuse_unread(rc.worker, socket, rc.info.route, std::move(*refusal),
                             rc.info.correlation_id);
      co_return ReadOutcome::Refused;
    }
  }
  idle->cancel();
  if (idle->fired()) co_return ReadOutcome::Closed;

  // The head's fields are copied into rc; free them (and any body slack) before a stream that
  // may last minutes.
  rc.body = std::move(req.body());
  if (buffer.size() == 0) buffer.shrink_to_fit();
  co_return ReadOutcome::Request;
}

// Puts a handed-over request into `rc` and the bytes read past it into the connection's buffer.
void take_handed(RequestContext& rc, HandedOver& h) {
  rc.info = std::move(h.info);
  rc.head = std::move(h.head);
  rc.body = std::move(h.body);
  rc.keep_alive = h.keep_alive;
  rc.http10 = h.http10;
  rc.head_only = h.head_only;
  if (!h.buffered.empty()) {
    auto space = rc.client_buffer.prepare(h.buffered.size());
    std::memcpy(space.data(), h.buffered.data(), h.buffered.size());
    rc.client_buffer.commit(h.buffered.size());
  }
}

asio::awaitable<void> serve_connection(Worker& worker, tcp::socket socket,
                                       std::unique_ptr<HandedOver> handed) {
  // Size limits hold for the connection's life: a reload applies them to connections opened
  // after it (the relay's timeouts, retries and the rest apply to every request after it).
  const std::shared_ptr<const config::Config> config = worker.registry()->config;
  const config::Limits& limits = config->limits;
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  worker.metrics.open_connections.add(1);
  beast::flat_buffer buffer(static_cast<std::size_t>(limits.max_header_bytes) +
                            limits.max_body_bytes + 4096);
  bool linger = false;  // an error answer left request bytes unread: close gracefully

  for (;;) {
    // This frame stays allocated for the whole of a stream that a request starts: it holds the
    // request's context and little else (read_request holds the rest while it reads).
    RequestContext rc{worker, socket, buffer};
    if (handed) {
      take_handed(rc, *handed);
      handed.reset();
    } else {
      const ReadOutcome read = co_await read_request(&rc, &limits);
      if (read != ReadOutcome::Request) {
        linger = read == ReadOutcome::Refused;
        break;
      }
    }
    // The handler is awaited from here, not from a helper: a stream's coroutine frames stay
    // allocated for as long as it runs.
    const RouteEntry* entry = find_route(rc.info.route);
    const bool keep = entry != nullptr && allows(*entry, rc.method())
                          ? co_await entry->handler(rc)
                          : co_await refuse_route(rc, entry);
    if (!keep || !socket.is_open()) break;
    // A large request body grew the buffer; don't keep megabytes per idle keep-alive connection.
    if (buffer.size() == 0 && buffer.capacity() > 16 * 1024) buffer.shrink_to_fit();
  }
  if (linger && socket.is_open()) co_await linger_close(socket);
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  worker.metrics.open_connections.add(-1);
}

}  // namespace

void spawn_connection(Worker& worker, tcp::socket socket, std::unique_ptr<HandedOver> handed) {
  asio::co_spawn(worker.io, serve_connection(worker, std::move(socket), std::move(handed)),
                 [](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     telemetry::log_event(
                         LogLevel::Error, "connection_failed", {},
                         "A connection ended on an unexpected error; it was closed.",
                         {{"error", std::string_view(ex.what())}});
                   }
                 });
}

bool hand_over(RequestContext& rc, Worker& to) {
  auto handed = std::make_unique<HandedOver>();
  handed->info = std::move(rc.info);
  handed->head = std::move(rc.head);
  handed->body = std::move(rc.body);
  handed->keep_alive = rc.keep_alive;
  handed->http10 = rc.http10;
  handed->head_only = rc.head_only;
  const auto pending = rc.client_buffer.data();
  handed->buffered.assign(static_cast<const char*>(pending.data()), pending.size());
  rc.client_buffer.consume(pending.size());
  boost::system::error_code ec;
  const tcp::endpoint local = rc.client.local_endpoint(ec);
  if (ec) return false;  // a broken connection: this thread closes it
  const tcp::socket::native_handle_type fd = rc.client.release(ec);
  if (ec) return false;
  rc.worker.metrics.connections_handed_over.inc();
  asio::post(to.io, [&to, fd, protocol = local.protocol(), handed = std::move(handed)]() mutable {
    tcp::socket socket(to.io);
    boost::system::error_code aec;
    socket.assign(protocol, fd, aec);
    if (aec) {
      ::close(fd);
      return;
    }
    spawn_connection(to, std::move(socket), std::move(handed));
  });
  return false;
}

}  // namespace sy::http
