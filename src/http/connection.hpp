#pragma once
// One client connection: reads HTTP/1.1 requests (keep-alive, bounded header and body sizes),
// routes them, and writes the answers. Runs on one Worker's thread; a request for a task that
// lives on another thread moves the connection there (hand_over).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>

#include "common/packed_strings.hpp"
#include "http/request_context.hpp"
#include "http/worker.hpp"
#include "relay/request_info.hpp"

namespace sy::http {

// A connection moved from one I/O thread to another (see hand_over), with the request it was
// serving: the receiving thread serves that request first, then reads the next as usual.
struct HandedOver {
  relay::RequestInfo info;
  PackedStrings<3> head;  // method, path, bearer token (RequestContext::head)
  std::string body;
  bool keep_alive = true;
  bool http10 = false;
  bool head_only = false;
  std::string buffered;  // bytes the connection had read past the request (pipelined)
};

// Serves a connection on `worker`'s thread for as long as it lives (`handed`: a connection moved
// here with its current request). The coroutine runs on worker.io.
void spawn_connection(Worker& worker, boost::asio::ip::tcp::socket socket,
                      std::unique_ptr<HandedOver> handed = nullptr);

// Moves the connection of `rc`, with its request, to `to`'s thread, where the request is routed
// again. Why: everything about a task happens on its home thread, so a request for it that
// arrives elsewhere follows it there (no lock, no cross-thread copy per frame). Always returns
// false: the caller's connection loop ends without touching the socket, which is no longer its.
bool hand_over(RequestContext& rc, Worker& to);

}  // namespace sy::http
