// The relay's socket I/O over real loopback TCP, in one io_context (one thread, as an I/O thread
// runs): write_chunk writes at once when the socket takes the bytes and waits only for what does
// not fit; an engine read after a drained read waits for readability first and misses no byte.

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <string>
#include <vector>

#include "http/engine_connection.hpp"
#include "http/response_writer.hpp"

namespace sy::http {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto kToken = asio::as_tuple(asio::use_awaitable);

// A connected pair of loopback sockets.
struct SocketPair {
  explicit SocketPair(asio::io_context& io) : a(io), b(io) {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    a.connect(acceptor.local_endpoint());
    b = acceptor.accept();
  }
  tcp::socket a;
  tcp::socket b;
};

// Runs `body` on `io` and fails the test if it does not finish within 10 s.
template <typename Body>
void run_bounded(asio::io_context& io, Body body) {
  bool finished = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await body();
        finished = true;
      },
      [](const std::exception_ptr& e) {
        if (e) std::rethrow_exception(e);
      });
  io.run_for(std::chrono::seconds(10));
  EXPECT_TRUE(finished) << "the I/O did not finish within 10 s";
}

TEST(WriteChunk, WritesASmallChunkWithoutWaiting) {
  asio::io_context io;
  SocketPair pair(io);
  run_bounded(io, [&]() -> asio::awaitable<void> {
    const WriteResult r = co_await write_chunk(pair.a, "data: x\n\n");
    EXPECT_TRUE(r.ok);
    EXPECT_FALSE(r.waited);
    std::string got(14, '\0');
    auto [ec, n] = co_await asio::async_read(pair.b, asio::buffer(got), kToken);
    EXPECT_FALSE(ec);
    EXPECT_EQ(got, "9\r\ndata: x\n\n\r\n");
  });
}

TEST(WriteChunk, WaitsForASlowReaderAndDeliversEveryByteInOrder) {
  asio::io_context io;
  SocketPair pair(io);
  pair.a.set_option(tcp::no_delay(true));
  pair.a.set_option(asio::socket_base::send_buffer_size(16384));
  pair.b.set_option(asio::socket_base::receive_buffer_size(16384));
  std::string payload(2 << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 23);
  std::string received;
  bool reader_done = false;
  // 2 MiB cannot fit in the two small socket buffers: the write has to wait for the reader.
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        std::vector<char> buf(65536);
        const std::size_t want = payload.size() + 10;  // "200000\r\n" + payload + "\r\n"
        while (received.size() < want) {
          auto [ec, n] = co_await pair.b.async_read_some(asio::buffer(buf), kToken);
          if (ec) break;
          received.append(buf.data(), n);
        }
        reader_done = true;
      },
      asio::detached);
  run_bounded(io, [&]() -> asio::awaitable<void> {
    const WriteResult r = co_await write_chunk(pair.a, payload);
    EXPECT_TRUE(r.ok);
    EXPECT_TRUE(r.waited);
  });
  EXPECT_TRUE(reader_done);
  const std::string expected = "200000\r\n" + payload + "\r\n";
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected);  // (not EXPECT_EQ: it would print 2 MiB)
}

TEST(WriteChunk, ReportsAFailedWriteToAClosedPeer) {
  asio::io_context io;
  SocketPair pair(io);
  pair.b.set_option(asio::socket_base::linger(true, 0));
  pair.b.close();  // a reset: the next writes fail
  run_bounded(io, [&]() -> asio::awaitable<void> {
    WriteResult r{true, false};
    for (int i = 0; i < 100 && r.ok; ++i) r = co_await write_chunk(pair.a, "data: x\n\n");
    EXPECT_FALSE(r.ok);
  });
}

// An engine connection to a fake engine on loopback that has sent a chunked SSE head and one
// batch, read whole: the connection's socket is drained afterwards.
struct StreamingEngine {
  explicit StreamingEngine(asio::io_context& io)
      : listener(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        connector(io.get_executor(), 4),
        engine(io) {
    endpoint.host = "127.0.0.1";
    endpoint.port = listener.local_endpoint().port();
    endpoint.url = "http://127.0.0.1:" + std::to_string(endpoint.port);
    endpoint.host_header = "127.0.0.1:" + std::to_string(endpoint.port);
  }
  asio::awaitable<bool> start() {
    if (co_await connector.acquire(endpoint, Millis(2000), conn)) co_return false;
    engine = co_await listener.async_accept(asio::use_awaitable);
    asio::write(engine,
                asio::buffer(std::string("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                         "Transfer-Encoding: chunked\r\n\r\n")));
    relay::EngineHead h;
    if (co_await conn->read_head(h) || !h.event_stream) co_return false;
    asio::write(engine, asio::buffer(std::string("6\r\nfirst\n\r\n")));
    std::string got;
    while (got != "first\n") {
      const relay::BodyRead r = co_await conn->read_body(buffer);
      if (r.error) co_return false;
      got.append(r.payload);
    }
    co_return true;
  }
  // Reads the rest of the body.
  asio::awaitable<std::string> read_rest() {
    std::string got;
    for (;;) {
      const relay::BodyRead r = co_await conn->read_body(buffer);
      if (r.error) co_return "error: " + r.error.message();
      got.append(r.payload);
      if (r.end) co_return got;
    }
  }
  tcp::acceptor listener;
  control::EndpointInfo endpoint;
  Http1EngineConnector connector;
  std::unique_ptr<relay::EngineConnection> conn;
  tcp::socket engine;
  std::vector<char> buffer = std::vector<char>(16 * 1024);
};

// After a read that drained the socket the next read waits for readability first: it must still
// see bytes that were queued before it started waiting, whether or not the event loop ran.
TEST(EngineRead, AfterADrainedReadSeesBytesQueuedWhileNothingRan) {
  asio::io_context io;
  StreamingEngine e(io);
  run_bounded(io, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await e.start());
    // More bytes and the body's end arrive before the next read, while this coroutine has not
    // suspended: the read that follows must still see them.
    asio::write(e.engine, asio::buffer(std::string("7\r\nsecond\n\r\n0\r\n\r\n")));
    EXPECT_EQ(co_await e.read_rest(), "second\n");
    e.conn->finish(true);
  });
}

TEST(EngineRead, AfterADrainedReadSeesBytesWhoseReadinessWasAlreadyTaken) {
  asio::io_context io;
  StreamingEngine e(io);
  run_bounded(io, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await e.start());
    asio::write(e.engine, asio::buffer(std::string("7\r\nsecond\n\r\n0\r\n\r\n")));
    // The event loop runs meanwhile and takes the socket's (edge-triggered) readiness with no
    // reader waiting: the wait that follows must not depend on a new edge.
    asio::steady_timer pause(io, std::chrono::milliseconds(30));
    co_await pause.async_wait(kToken);
    EXPECT_EQ(co_await e.read_rest(), "second\n");
    e.conn->finish(true);
  });
}

}  // namespace
}  // namespace sy::http
