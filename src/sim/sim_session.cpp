#include "sim/sim_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <string>
#include <utility>

#include "common/clock.hpp"
#include "common/json_writer.hpp"
#include "sim/sim_responses.hpp"
#include "sim/sim_words.hpp"

namespace sy::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;
constexpr std::uint64_t kMaxBodyBytes = std::uint64_t{8} << 20;
constexpr std::size_t kWatchReadBytes = 512;  // fits the buffer a request left: no growth
constexpr std::size_t kMaxPipelinedBytes = std::size_t{64} << 10;
// Buffers that grew past this (a large request or response) are freed between requests.
constexpr std::size_t kKeepBufferBytes = std::size_t{64} << 10;
constexpr std::int64_t kYieldEveryTokens = 16;

constexpr auto kTok = asio::as_tuple(asio::use_awaitable);

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Session {
 public:
  Session(tcp::socket socket, SimWorker& worker)
      : socket_(std::move(socket)), worker_(worker), timer_(socket_.get_executor()) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  asio::awaitable<void> run();

 private:
  enum class Outcome { Completed, PeerGone, Closed };

  asio::awaitable<bool> serve_request(http::request<http::string_body> req);
  asio::awaitable<bool> generate(SimApi api, bool keep_alive);
  asio::awaitable<void> stream_tokens();
  asio::awaitable<void> wait_unary();
  asio::awaitable<void> watch_peer();
  asio::awaitable<void> park();
  asio::awaitable<bool> write_out();
  asio::awaitable<bool> send_body(int status, std::string_view content_type, bool keep_alive,
                                  std::string_view extra_headers = {});
  asio::awaitable<bool> send_error(int status, std::string_view message, std::string_view type,
                                   std::string_view param, std::string_view code, bool keep_alive);
  asio::awaitable<bool> send_error(Error error, bool keep_alive);

  void note_disconnect();
  void note_write_error(const boost::system::error_code& ec);
  void close_abruptly();
  [[nodiscard]] std::chrono::milliseconds ttft() const {
    return std::chrono::milliseconds(request_.faults.ttft_ms.value_or(worker_.config.ttft_ms));
  }
  [[nodiscard]] std::chrono::milliseconds itl() const {
    return std::chrono::milliseconds(request_.faults.itl_ms.value_or(worker_.config.itl_ms));
  }

  tcp::socket socket_;
  SimWorker& worker_;
  asio::steady_timer timer_;  // one per connection, re-armed for every token
  beast::flat_buffer read_buf_;
  std::string out_;   // reused write buffer
  std::string body_;  // reused response body / request body scratch
  std::string correlation_id_;
  TokenEventTemplate token_template_;
  SimRequest request_;
  SlotLease lease_;  // the generation slot of the request being served, if any
  ResponseIdentity identity_;
  Outcome outcome_ = Outcome::Completed;
  bool peer_gone_ = false;
};

asio::awaitable<void> Session::run() {
  co_await asio::this_coro::throw_if_cancelled(false);
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);  // one small write per token: no Nagle delay
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    auto [ec, n] = co_await http::async_read(socket_, read_buf_, parser, kTok);
    if (ec) {
      if (ec == http::error::header_limit) {
        co_await send_error(431, "Request headers exceed 16 KiB.", "invalid_request_error", "",
                            "headers_too_large", false);
      } else if (ec == http::error::body_limit) {
        co_await send_error(413, "Request body exceeds 8 MiB.", "invalid_request_error", "",
                            "payload_too_large", false);
      } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
                 ec != http::error::end_of_stream && ec != http::error::partial_message) {
        co_await send_error(400, "Malformed HTTP request.", "invalid_request_error", "",
                            "bad_request", false);
      }
      break;  // EOF, reset or a request we cannot resynchronise after
    }
    const bool keep_going = co_await serve_request(parser.release());
    if (!keep_going || !socket_.is_open()) break;
    if (read_buf_.size() == 0 && read_buf_.capacity() > kKeepBufferBytes) read_buf_.shrink_to_fit();
    if (out_.capacity() > kKeepBufferBytes) std::string().swap(out_);
    if (body_.capacity() > kKeepBufferBytes) std::string().swap(body_);
  }
  if (socket_.is_open()) {
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);
  }
}

asio::awaitable<bool> Session::serve_request(http::request<http::string_body> req) {
  const bool keep_alive = req.keep_alive();
  std::string_view target = req.target();
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  const http::verb method = req.method();

  auto route = [&](http::verb want) { return method == want; };
  auto method_not_allowed = [&]() {
    return send_error(405, "Method not allowed.", "invalid_request_error", "", "method_not_allowed",
                      keep_alive);
  };

  SimApi api{};
  bool is_generation = true;
  if (target == "/v1/chat/completions") {
    api = SimApi::ChatCompletions;
  } else if (target == "/v1/completions") {
    api = SimApi::Completions;
  } else if (target == "/completion") {
    api = SimApi::LlamaCompletion;
  } else {
    is_generation = false;
  }
  if (is_generation) {
    if (!route(http::verb::post)) co_return co_await method_not_allowed();
    correlation_id_.assign(req["X-Correlation-Id"].substr(0, SimStats::kMaxCorrelationId));
    body_ = std::move(req.body());
    req = {};  // free the header fields: a stream may hold this frame for a long time
    co_return co_await generate(api, keep_alive);
  }

  body_.clear();
  if (target == "/health") {
    if (!route(http::verb::get)) co_return co_await method_not_allowed();
    body_ = R"({"status":"ok"})";
    co_return co_await send_body(200, "application/json", keep_alive);
  }
  if (target == "/v1/models") {
    if (!route(http::verb::get)) co_return co_await method_not_allowed();
    JsonWriter w(body_);
    w.begin_object().field("object", "list").key("data").begin_array();
    for (const std::string& model : worker_.config.models) {
      w.begin_object()
          .field("id", std::string_view(model))
          .field("object", "model")
          .field("created", 0)
          .field("owned_by", "switchyard-sim")
          .end_object();
    }
    w.end_array().end_object();
    co_return co_await send_body(200, "application/json", keep_alive);
  }
  if (target == "/metrics") {
    if (!route(http::verb::get)) co_return co_await method_not_allowed();
    worker_.stats.append_prometheus(body_);
    co_return co_await send_body(200, "text/plain; version=0.0.4", keep_alive);
  }
  if (target == "/sim/stats") {
    if (!route(http::verb::get)) co_return co_await method_not_allowed();
    worker_.stats.append_stats_json(body_);
    co_return co_await send_body(200, "application/json", keep_alive);
  }
  if (target == "/sim/reset") {
    if (!route(http::verb::post)) co_return co_await method_not_allowed();
    worker_.stats.reset();
    worker_.pool.reset_max_active();
    body_ = R"({"status":"ok"})";
    co_return co_await send_body(200, "application/json", keep_alive);
  }
  co_return co_await send_error(404, "Unknown path.", "invalid_request_error", "", "not_found",
                                keep_alive);
}

asio::awaitable<bool> Session::generate(SimApi api, bool keep_alive) {
  SimCounters::bump(worker_.counters.requests);
  auto parsed = parse_sim_request(api, body_, worker_.config.default_tokens, worker_.config.models,
                                  worker_.json);
  if (!parsed) co_return co_await send_error(parsed.error(), keep_alive);
  request_ = std::move(*parsed);
  // The --fault-* flags make a broken engine: they apply where the request sets nothing itself.
  SimFaults& faults = request_.faults;
  const SimConfig& config = worker_.config;
  if (faults.status == 0) faults.status = config.fault_status;
  if (faults.fail_after_tokens < 0) faults.fail_after_tokens = config.fault_fail_after_tokens;
  if (faults.stall_after_tokens < 0) faults.stall_after_tokens = config.fault_stall_after_tokens;
  if (faults.status != 0) {
    const int status = faults.status;
    body_.clear();
    append_error_body(body_, "Injected failure (sim_options.status).",
                      error_type_for_status(status), "", "sim_injected");
    // Overload answers say when to come back, as engines and gateways do.
    std::string retry_after;
    if (status == 429 || status == 503) {
      retry_after =
          "Retry-After: " + std::to_string(faults.retry_after_s >= 0 ? faults.retry_after_s : 1) +
          "\r\n";
    }
    co_return co_await send_body(status, "application/json", keep_alive, retry_after);
  }

  peer_gone_ = false;
  outcome_ = Outcome::Completed;
  // Returns the slot however this request ends (early co_return, disconnect, error).
  struct LeaseGuard {
    SlotLease& lease;
    ~LeaseGuard() { lease.reset(); }
  } lease_guard{lease_};
  SlotLease& lease = lease_;
  std::shared_ptr<SlotWaiter> waiter;
  switch (worker_.pool.admit(lease, waiter, socket_.get_executor())) {
    case SlotPool::Admission::Granted:
      break;
    case SlotPool::Admission::Rejected:
      co_return co_await send_error(503, "The simulator's waiting queue is full.", "server_error",
                                    "", "queue_full", keep_alive);
    case SlotPool::Admission::Closed:
      co_return co_await send_error(503, "The simulator is shutting down.", "server_error", "",
                                    "shutting_down", false);
    case SlotPool::Admission::Queued:
      co_await (SlotPool::wait(waiter) || watch_peer());
      worker_.pool.finish_wait(*waiter, lease);
      if (peer_gone_) co_return false;  // the lease, if granted in the same instant, goes back
      if (!lease.held()) {
        co_return co_await send_error(503, "The simulator is shutting down.", "server_error", "",
                                      "shutting_down", false);
      }
      break;
  }

  identity_ = ResponseIdentity{api, worker_.response_numbers.fetch_add(1) + 1, unix_seconds(),
                               request_.model, lease.slot()};
  if (!request_.stream) {
    co_await (wait_unary() || watch_peer());
    if (peer_gone_ || outcome_ == Outcome::Closed) co_return false;
    // Generation is over: like an engine, free the slot before the answer leaves, so a client
    // that sends its next request the moment it reads this one never sees slots + 1 running.
    lease_.reset();
    body_.clear();
    append_unary_body(body_, identity_, request_.seed,
                      StreamEnd{request_.max_tokens, request_.prompt_tokens, false});
    const bool ok = co_await send_body(200, "application/json", keep_alive);
    if (socket_.is_open()) {
      SimCounters::bump(worker_.counters.tokens_sent,
                        static_cast<std::uint64_t>(request_.max_tokens));
      SimCounters::bump(worker_.counters.completed);
    }
    co_return ok;
  }

  // Headers (and the chat role chunk) go out at once; tokens follow on the timer.
  out_.clear();
  append_stream_head(out_, keep_alive);
  if (api == SimApi::ChatCompletions) append_role_chunk(out_, identity_);
  if (!co_await write_out()) co_return false;
  token_template_.build(identity_);
  co_await (stream_tokens() || watch_peer());
  if (outcome_ != Outcome::Completed || peer_gone_) co_return false;
  SimCounters::bump(worker_.counters.completed);
  co_return keep_alive;
}

asio::awaitable<void> Session::stream_tokens() {
  co_await asio::this_coro::throw_if_cancelled(false);
  const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  const auto cancelled = [&state] { return state.cancelled() != asio::cancellation_type::none; };
  const std::int64_t n = request_.max_tokens;
  const auto interval = itl();
  auto deadline = Clock::now() + ttft();
  for (std::int64_t i = 0; i <= n; ++i) {
    if (i == request_.faults.stall_after_tokens) {
      co_await park();  // until the client leaves (or shutdown)
      outcome_ = Outcome::Closed;
      co_return;
    }
    if (i == request_.faults.fail_after_tokens) {
      close_abruptly();
      co_return;
    }
    if (i == n) break;
    if (i > 0) deadline += interval;
    if (i == 0 || interval.count() > 0) {
      timer_.expires_at(deadline);
      auto [ec] = co_await timer_.async_wait(kTok);
      if (ec) co_return;  // cancelled: the client left
    } else if (i % kYieldEveryTokens == 0) {
      co_await asio::post(socket_.get_executor(), kTok);  // let other connections run
    }
    if (cancelled() || peer_gone_) co_return;
    out_.clear();
    token_template_.append_chunk_for(out_, sim_token_text(request_.seed, i), i);
    auto [ec, written] = co_await asio::async_write(socket_, asio::buffer(out_), kTok);
    if (ec) {
      note_write_error(ec);
      co_return;
    }
    SimCounters::bump(worker_.counters.tokens_sent);
    if (peer_gone_) SimCounters::bump(worker_.counters.tokens_after_disconnect);
  }
  if (cancelled() || peer_gone_) co_return;
  lease_.reset();  // generation is over: free the slot before the final chunk leaves (see generate)
  out_.clear();
  append_stream_end(out_, identity_, StreamEnd{n, request_.prompt_tokens, request_.include_usage});
  auto [ec, written] = co_await asio::async_write(socket_, asio::buffer(out_), kTok);
  if (ec) note_write_error(ec);
}

asio::awaitable<void> Session::wait_unary() {
  co_await asio::this_coro::throw_if_cancelled(false);
  const std::int64_t n = request_.max_tokens;
  const SimFaults& faults = request_.faults;
  if (faults.stall_after_tokens >= 0 && faults.stall_after_tokens <= n) {
    co_await park();
    outcome_ = Outcome::Closed;
    co_return;
  }
  const bool fail = faults.fail_after_tokens >= 0 && faults.fail_after_tokens <= n;
  const std::int64_t tokens = fail ? faults.fail_after_tokens : n;
  timer_.expires_after(ttft() + itl() * tokens);
  auto [ec] = co_await timer_.async_wait(kTok);
  if (ec) co_return;
  if (fail) close_abruptly();
}

asio::awaitable<void> Session::park() {
  timer_.expires_at(asio::steady_timer::time_point::max());
  co_await timer_.async_wait(kTok);
}

asio::awaitable<void> Session::watch_peer() {
  co_await asio::this_coro::throw_if_cancelled(false);
  for (;;) {
    if (read_buf_.size() >= kMaxPipelinedBytes) {
      // A client pipelining this much is not waiting on this response; stop reading so TCP
      // pushes back. Disconnects are then noticed by the next failed write instead.
      asio::steady_timer parked(socket_.get_executor(), asio::steady_timer::time_point::max());
      co_await parked.async_wait(kTok);
      co_return;
    }
    auto [ec, n] = co_await socket_.async_read_some(read_buf_.prepare(kWatchReadBytes), kTok);
    read_buf_.commit(n);  // a pipelined next request stays buffered for the next read
    if (!ec) continue;
    if (ec != asio::error::operation_aborted) note_disconnect();
    co_return;  // aborted: the response finished (or we closed the socket ourselves)
  }
}

void Session::note_disconnect() {
  if (peer_gone_) return;
  const std::int64_t at_ns = monotonic_ns();
  peer_gone_ = true;
  outcome_ = Outcome::PeerGone;
  worker_.stats.record_disconnect(worker_.counters, correlation_id_, at_ns);
}

void Session::note_write_error(const boost::system::error_code& ec) {
  if (ec != asio::error::operation_aborted) note_disconnect();
  outcome_ = Outcome::PeerGone;
}

void Session::close_abruptly() {
  // sim_options.fail_after_tokens: the engine "dies" mid-response; no terminating chunk.
  boost::system::error_code ignored;
  socket_.close(ignored);
  outcome_ = Outcome::Closed;
}

asio::awaitable<bool> Session::write_out() {
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out_), kTok);
  if (ec) {
    note_write_error(ec);
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> Session::send_body(int status, std::string_view content_type, bool keep_alive,
                                         std::string_view extra_headers) {
  out_.clear();
  append_response_head(out_, status, content_type, body_.size(), keep_alive, extra_headers);
  out_ += body_;
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out_), kTok);
  co_return !ec && keep_alive;
}

asio::awaitable<bool> Session::send_error(int status, std::string_view message,
                                          std::string_view type, std::string_view param,
                                          std::string_view code, bool keep_alive) {
  body_.clear();
  append_error_body(body_, message, type, param, code);
  co_return co_await send_body(status, "application/json", keep_alive);
}

asio::awaitable<bool> Session::send_error(Error error, bool keep_alive) {
  const ErrorInfo& info = error.info();
  co_return co_await send_error(info.http_status, error.message, info.type, error.param, info.code,
                                keep_alive);
}

}  // namespace

asio::awaitable<void> serve_sim_connection(tcp::socket socket, SimWorker* worker) {
  Session session(std::move(socket), *worker);
  co_await session.run();
}

}  // namespace sy::sim
