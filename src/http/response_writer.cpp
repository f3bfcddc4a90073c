#include "http/response_writer.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "api/error_body.hpp"

namespace sy::http {

namespace asio = boost::asio;

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
  }
}

asio::awaitable<bool> write_response(asio::ip::tcp::socket& socket, int status,
                                     std::string_view content_type, std::string_view body,
                                     std::string_view correlation_id, ReplyMode mode,
                                     const HeaderList* extra) {
  std::string head;
  head.reserve(256);
  if (status == 204) {  // no content, and so no Content-Type or Content-Length (RFC 9110)
    fmt::format_to(std::back_inserter(head), "HTTP/1.1 204 {}\r\n", reason_phrase(status));
    body = {};
  } else {
    fmt::format_to(std::back_inserter(head),
                   "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", status,
                   reason_phrase(status), content_type, body.size());
  }
  if (!correlation_id.empty())
    fmt::format_to(std::back_inserter(head), "X-Correlation-Id: {}\r\n", correlation_id);
  if (extra)
    for (const auto& [k, v] : *extra) fmt::format_to(std::back_inserter(head), "{}: {}\r\n", k, v);
  if (!mode.keep_alive) {
    head += "Connection: close\r\n";
  } else if (mode.http10) {
    head += "Connection: keep-alive\r\n";
  }
  head += "\r\n";
  const std::array<asio::const_buffer, 2> bufs{
      asio::buffer(head), asio::buffer(body.data(), mode.head_only ? 0 : body.size())};
  auto [ec, n] = co_await asio::async_write(socket, bufs, asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

asio::awaitable<bool> write_error(asio::ip::tcp::socket& socket, const Error& error,
                                  std::string_view correlation_id, ReplyMode mode,
                                  const HeaderList* more) {
  const std::string body = api::error_body(error);
  HeaderList extra;
  if (more) extra = *more;
  const int status = error.info().http_status;
  if (error.retry_after_ms > 0 && (status == 429 || status == 503)) {
    extra.emplace_back("Retry-After", fmt::format("{}", (error.retry_after_ms + 999) / 1000));
    extra.emplace_back("X-Backoff-Ms", fmt::format("{}", error.retry_after_ms));
  }
  co_return co_await write_response(socket, status, "application/json", body, correlation_id, mode,
                                    &extra);
}

asio::awaitable<bool> write_sse_head(asio::ip::tcp::socket& socket, std::string_view correlation_id,
                                     ReplyMode mode) {
  std::string head = fmt::format(
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\n{}X-Correlation-Id: {}\r\n{}\r\n",
      mode.http10 ? "" : "Transfer-Encoding: chunked\r\n", correlation_id,
      mode.keep_alive && !mode.http10 ? "" : "Connection: close\r\n");
  auto [ec, n] =
      co_await asio::async_write(socket, asio::buffer(head), asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

namespace {
// "<hex>\r\n" into a fixed array: no allocation per chunk.
std::size_t format_chunk_size(std::array<char, 20>& out, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  char tmp[16];
  std::size_t n = 0;
  do {
    tmp[n++] = kHex[size & 0xF];
    size >>= 4;
  } while (size != 0);
  std::size_t len = 0;
  while (n > 0) out[len++] = tmp[--n];
  out[len++] = '\r';
  out[len++] = '\n';
  return len;
}
}  // namespace

namespace {

// Writes `bufs` whole. First at once, without waiting: the socket's send buffer almost always
// has room, and then the coroutine does not suspend (no trip through the event loop and no
// composed asynchronous write per batch of tokens). What did not fit is written asynchronously.
template <std::size_t N>
asio::awaitable<WriteResult> write_all(asio::ip::tcp::socket& socket,
                                       std::array<asio::const_buffer, N> bufs) {
  boost::system::error_code ec;
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  std::size_t written = 0;
  if (!ec) {
    written = socket.write_some(bufs, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
    if (ec) co_return WriteResult{false, false};
    if (written == asio::buffer_size(bufs)) co_return WriteResult{true, false};
  }
  // What did not fit is copied before waiting: the caller's bytes may be in a buffer that other
  // streams of this thread reuse meanwhile (the relay's output buffer). Rare: the socket's send
  // buffer is full only for a client that reads slower than the engine writes.
  std::string rest;
  rest.reserve(asio::buffer_size(bufs) - written);
  for (const asio::const_buffer& b : bufs) {
    if (written >= b.size()) {
      written -= b.size();
      continue;
    }
    rest.append(static_cast<const char*>(b.data()) + written, b.size() - written);
    written = 0;
  }
  auto [wec, n] =
      co_await asio::async_write(socket, asio::buffer(rest), asio::as_tuple(asio::use_awaitable));
  co_return WriteResult{!wec, true};
}

}  // namespace

asio::awaitable<WriteResult> write_chunk(asio::ip::tcp::socket& socket, std::string_view payload,
                                         bool chunked) {
  if (payload.empty()) co_return WriteResult{true, false};
  if (!chunked) {
    co_return co_await write_all(socket, std::array<asio::const_buffer, 1>{asio::buffer(payload)});
  }
  std::array<char, 20> size_line;
  const std::size_t len = format_chunk_size(size_line, payload.size());
  co_return co_await write_all(
      socket, std::array<asio::const_buffer, 3>{asio::buffer(size_line.data(), len),
                                                asio::buffer(payload), asio::buffer("\r\n", 2)});
}

asio::awaitable<bool> write_last_chunk(asio::ip::tcp::socket& socket, std::string_view payload,
                                       bool chunked) {
  if (!chunked) co_return (co_await write_chunk(socket, payload, false)).ok;
  std::array<char, 20> size_line;
  std::size_t len = 0;
  if (!payload.empty()) len = format_chunk_size(size_line, payload.size());
  const WriteResult r = co_await write_all(
      socket, std::array<asio::const_buffer, 4>{
                  asio::buffer(size_line.data(), len), asio::buffer(payload),
                  asio::buffer("\r\n", payload.empty() ? 0 : 2), asio::buffer("0\r\n\r\n", 5)});
  co_return r.ok;
}

}  // namespace sy::http
