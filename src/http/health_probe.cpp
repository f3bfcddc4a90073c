#include "http/health_probe.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace sy::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

// Shows the probe's socket in its slot for as long as the probe runs.
struct SlotBinding {
  SlotBinding(ProbeSlot* slot, asio::ip::tcp::socket& socket) : slot_(slot) {
    slot_->socket = &socket;
  }
  ~SlotBinding() { slot_->socket = nullptr; }
  SlotBinding(const SlotBinding&) = delete;
  SlotBinding& operator=(const SlotBinding&) = delete;
  ProbeSlot* slot_;
};

}  // namespace

asio::awaitable<bool> probe_endpoint(const control::EndpointInfo* endpoint_ptr,
                                     std::uint32_t timeout_ms, ProbeSlot* slot) {
  const control::EndpointInfo& endpoint = *endpoint_ptr;
  constexpr auto token = asio::as_tuple(asio::use_awaitable);
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  const SlotBinding binding(slot, stream.socket());
  boost::system::error_code ec;
  const asio::ip::tcp::endpoint target(asio::ip::make_address(endpoint.host, ec), endpoint.port);
  if (ec) {
    asio::ip::tcp::resolver resolver(ex);
    auto [rec, results] =
        co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port), token);
    if (rec || results.empty()) co_return false;
    auto [cec, ep] = co_await stream.async_connect(results, token);
    if (cec) co_return false;
  } else {
    auto [cec] = co_await stream.async_connect(target, token);
    if (cec) co_return false;
  }
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, endpoint.base_path + endpoint.health_path,
                                        11};
  req.set(bhttp::field::host, endpoint.host_header);
  req.set(bhttp::field::user_agent, "switchyard-health");
  req.set(bhttp::field::connection, "close");
  auto [wec, wn] = co_await bhttp::async_write(stream, req, token);
  if (wec) co_return false;
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024);
  auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, token);
  if (rec) co_return false;
  const unsigned status = parser.get().result_int();
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  co_return status >= 200 && status < 300;
}

}  // namespace sy::http
