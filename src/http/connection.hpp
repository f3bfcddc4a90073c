#pragma once
// One client connection: reads HTTP/1.1 requests (keep-alive, bounded header and body sizes),
// routes them, and writes the answers. Runs on one Worker's thread for its whole life.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http/worker.hpp"

namespace sy::http {

[[nodiscard]] boost::asio::awaitable<void> serve_connection(Worker& worker,
                                                            boost::asio::ip::tcp::socket socket);

}  // namespace sy::http
