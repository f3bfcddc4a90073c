#pragma once
// What the HTTP/1.1 connection knows about one client request while a route serves it. Lives in
// the connection coroutine's frame; route handlers receive it by reference and finish before it
// goes away.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <string>

#include "common/packed_strings.hpp"
#include "http/response_writer.hpp"
#include "http/worker.hpp"
#include "relay/request_info.hpp"

namespace sy::http {

struct RequestContext {
  Worker& worker;
  boost::asio::ip::tcp::socket& client;
  boost::beast::flat_buffer& client_buffer;  // holds bytes of any pipelined next request
  relay::RequestInfo info;                   // correlation id, arrival, route, X- headers
  PackedStrings<3> head;                     // method, path and bearer token (see below)
  std::string body;
  bool keep_alive = true;
  bool http10 = false;     // the client spoke HTTP/1.0
  bool head_only = false;  // a HEAD request

  [[nodiscard]] ReplyMode reply() const noexcept { return {keep_alive, http10, head_only}; }
  [[nodiscard]] std::string_view method() const noexcept { return head.get(0); }  // e.g. "POST"
  // Without the query string.
  [[nodiscard]] std::string_view path() const noexcept { return head.get(1); }
  // Kept for the admin routes only (empty for the others).
  [[nodiscard]] std::string_view bearer_token() const noexcept { return head.get(2); }
};

}  // namespace sy::http
