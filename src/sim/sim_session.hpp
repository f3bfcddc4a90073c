#pragma once
// One simulator connection: reads HTTP/1.1 requests (keep-alive), routes them, and streams
// generated tokens as raw chunked SSE bytes. While a request waits for a slot or generates, a
// concurrent read watches the socket, so a client that leaves is noticed at once (its EOF or reset
// wakes the read) and generation stops before the next token.
// Runs on the socket's executor (one worker thread) for the connection's life. Expected I/O
// outcomes (EOF, reset, cancel) end the connection without throwing.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "sim/sim_worker.hpp"

namespace sy::sim {

// Serves `socket` until the client closes it, asks to close, or an error ends it. `worker` must
// outlive the coroutine (SimServer destroys the io_context, and so this frame, first).
boost::asio::awaitable<void> serve_sim_connection(boost::asio::ip::tcp::socket socket,
                                                  SimWorker* worker);

}  // namespace sy::sim
