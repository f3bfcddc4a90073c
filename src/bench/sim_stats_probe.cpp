#include "bench/sim_stats_probe.hpp"

#include <simdjson.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <variant>

#include "bench/http_url.hpp"
#include "bench/response_head.hpp"
#include "http/body_framer.hpp"

namespace sy::bench {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kTok = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxResponse = std::size_t{64} << 20;

asio::awaitable<Result<std::string>> fetch(HttpUrl url) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(url.host, url.port, kTok);
  if (rec) co_return fail(ErrorCode::UpstreamError, "resolve " + url.host + ": " + rec.message());
  tcp::socket socket(executor);
  auto [cec, endpoint] = co_await asio::async_connect(socket, endpoints, kTok);
  if (cec) co_return fail(ErrorCode::UpstreamError, "connect: " + cec.message());
  const std::string request = "GET " + url.path + " HTTP/1.1\r\nHost: " + url.host_header() +
                              "\r\nAccept: application/json\r\nConnection: close\r\n\r\n";
  auto [wec, written] = co_await asio::async_write(socket, asio::buffer(request), kTok);
  if (wec) co_return fail(ErrorCode::UpstreamError, "write: " + wec.message());

  // Connection: close, so read everything, then frame it.
  std::string response;
  char chunk[16384];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), kTok);
    response.append(chunk, n);
    if (ec == asio::error::eof) break;
    if (ec) co_return fail(ErrorCode::UpstreamError, "read: " + ec.message());
    if (response.size() > kMaxResponse) co_return fail(ErrorCode::UpstreamError, "too large");
  }
  const std::size_t head_len = find_head_end(response);
  ResponseHead head;
  if (head_len == 0 || !parse_response_head(std::string_view(response).substr(0, head_len), head)) {
    co_return fail(ErrorCode::UpstreamError, "malformed HTTP response");
  }
  if (head.status != 200) {
    co_return fail(ErrorCode::UpstreamError, "HTTP status " + std::to_string(head.status));
  }
  sy::http::BodyFramer framer;
  if (head.chunked) {
    framer.start_chunked();
  } else if (head.has_length) {
    framer.start_length(head.content_length);
  } else {
    framer.start_until_close();
  }
  std::string body;
  std::string_view in = std::string_view(response).substr(head_len);
  const auto status = framer.feed(in, [&body](std::string_view p) { body.append(p); });
  if (status == sy::http::BodyFramer::Status::Error ||
      (status == sy::http::BodyFramer::Status::NeedMore && !framer.ends_at_close())) {
    co_return fail(ErrorCode::UpstreamError, "truncated HTTP body");
  }
  co_return body;
}

}  // namespace

asio::awaitable<Result<std::string>> fetch_http_body(std::string url, std::int64_t timeout_ms) {
  auto parsed = parse_http_url(url);
  if (!parsed) co_return tl::unexpected(parsed.error());
  if (parsed->path.empty() || parsed->path == "/") parsed->path = "/sim/stats";
  asio::steady_timer timer(co_await asio::this_coro::executor,
                           std::chrono::milliseconds(timeout_ms));
  auto result = co_await (fetch(std::move(*parsed)) || timer.async_wait(kTok));
  if (result.index() == 1) co_return fail(ErrorCode::UpstreamTimeout, "timed out");
  co_return std::move(std::get<0>(result));
}

Result<DisconnectTiming> match_disconnects(std::string stats_json, const std::string& run_id,
                                           const std::vector<std::int64_t>& close_ns) {
  namespace od = simdjson::ondemand;
  const std::string prefix = "bench-" + run_id + "-";
  DisconnectTiming timing;
  std::vector<bool> matched(close_ns.size(), false);

  const std::size_t size = stats_json.size();
  stats_json.reserve(size + simdjson::SIMDJSON_PADDING);
  od::parser parser;
  od::document doc;
  od::array disconnects;
  if (parser.iterate(stats_json.data(), size, stats_json.capacity()).get(doc) ||
      doc["disconnects"].get_array().get(disconnects)) {
    return fail(ErrorCode::InvalidJson, "sim stats: no disconnects array");
  }
  for (auto item_result : disconnects) {
    od::object item;
    if (item_result.get_object().get(item)) {
      return fail(ErrorCode::InvalidJson, "sim stats: bad disconnect entry");
    }
    std::string_view id;
    std::int64_t at_ns = 0;
    if (item["correlation_id"].get_string().get(id) || item["at_ns"].get_int64().get(at_ns)) {
      return fail(ErrorCode::InvalidJson, "sim stats: bad disconnect entry");
    }
    if (id.substr(0, prefix.size()) != prefix) continue;
    std::int64_t index = -1;
    const std::string_view digits = id.substr(prefix.size());
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) continue;
    if (index < 0 || static_cast<std::size_t>(index) >= close_ns.size()) continue;
    const auto i = static_cast<std::size_t>(index);
    if (close_ns[i] == 0 || matched[i]) continue;
    matched[i] = true;
    timing.latency.add(at_ns - close_ns[i]);
  }
  for (std::size_t i = 0; i < close_ns.size(); ++i) {
    if (close_ns[i] != 0 && !matched[i]) ++timing.unmatched;
  }
  return timing;
}

}  // namespace sy::bench
