#pragma once
// What a handler knows about one client request while it serves it. Lives in the connection
// coroutine's frame; handlers receive it by reference and finish before it goes away.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <string>

#include "common/clock.hpp"
#include "server/response_writer.hpp"
#include "server/serve_metrics.hpp"
#include "server/worker.hpp"

namespace sy::server {

struct RequestContext {
  Worker& worker;
  boost::asio::ip::tcp::socket& client;
  boost::beast::flat_buffer& client_buffer;  // holds bytes of any pipelined next request
  std::string correlation_id;
  bool keep_alive = true;
  TimePoint arrived;
  Route route = Route::Other;
  // Request headers Switchyard interprets.
  std::string priority;
  std::string deadline;
  std::string timeout_ms;
  std::string session_id;
  bool http10 = false;     // the client spoke HTTP/1.0
  bool head_only = false;  // a HEAD request

  [[nodiscard]] ReplyMode reply() const noexcept { return {keep_alive, http10, head_only}; }
  // Streamed bodies are chunked unless the client spoke HTTP/1.0 (then the close ends them).
  [[nodiscard]] bool chunked() const noexcept { return !http10; }
};

}  // namespace sy::server
