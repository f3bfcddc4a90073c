// The relay's socket I/O over real loopback TCP, in one io_context (one thread, as an I/O thread
// runs): write_chunk writes at once when the socket takes the bytes and waits only for what does
// not fit; an engine read after a drained read waits and misses no byte; streams woken together
// each get their own bytes although they share one read buffer; a body of any size arrives
// whole and in order whatever the landing buffer's size.

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
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "http/edge_read.hpp"
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

// `body` as one HTTP/1.1 chunk.
std::string fmt_chunk(const std::string& body) {
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", body.size());
  return size + body + "\r\n";
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

// The relay's output buffer is shared by a thread's streams: a write that has to wait must not
// read the caller's bytes after it first suspends (another stream may have refilled them).
TEST(WriteChunk, AWriteThatWaitsNoLongerReadsTheCallersBuffer) {
  asio::io_context io;
  SocketPair pair(io);
  pair.a.set_option(tcp::no_delay(true));
  pair.a.set_option(asio::socket_base::send_buffer_size(16384));
  pair.b.set_option(asio::socket_base::receive_buffer_size(16384));
  std::string payload(2 << 20, 'x');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  const std::string expected = payload;
  std::string received;
  run_bounded(io, [&]() -> asio::awaitable<void> {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          // Starts reading once the writer has had to wait, after the caller overwrote its
          // buffer.
          asio::steady_timer late(io, std::chrono::milliseconds(30));
          co_await late.async_wait(kToken);
          std::vector<char> buf(64 * 1024);
          while (received.size() < expected.size()) {
            auto [ec, n] = co_await pair.b.async_read_some(asio::buffer(buf), kToken);
            if (ec) break;
            received.append(buf.data(), n);
          }
        },
        asio::detached);
    asio::steady_timer scribble(io, std::chrono::milliseconds(10));
    scribble.async_wait([&](boost::system::error_code) { payload.assign(payload.size(), '#'); });
    const WriteResult r = co_await write_chunk(pair.a, payload, false);
    EXPECT_TRUE(r.ok);
    EXPECT_TRUE(r.waited);
    asio::steady_timer drain(io);
    for (int i = 0; i < 500 && received.size() < expected.size(); ++i) {
      drain.expires_after(std::chrono::milliseconds(2));
      co_await drain.async_wait(kToken);
    }
  });
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected) << "the write sent bytes the caller changed after it waited";
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
        connector(io.get_executor(), timers, 4),
        engine(io) {
    timers.bind(io.get_executor());
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
  // Before the connector, which holds a reference; bound in the constructor's body.
  relay::ThreadTimers timers;
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

// The relay reads every stream of an I/O thread through one shared buffer, and consumes what a
// read brought before the stream suspends again. Eight streams must each get exactly their own
// bytes: when their bytes are already there as the reads start (a read that finds bytes at
// once completes later, through the queue, after other streams ran), and when they arrive
// together while every stream waits (one epoll batch).
TEST(EngineRead, StreamsReadTogetherEachGetTheirOwnBytes) {
  asio::io_context io;
  constexpr int kStreams = 8;
  std::vector<std::unique_ptr<StreamingEngine>> engines;
  for (int i = 0; i < kStreams; ++i) engines.push_back(std::make_unique<StreamingEngine>(io));
  std::vector<char> shared(16 * 1024);
  std::vector<std::string> got(kStreams);
  const auto part = [](int stream, const char* which) {
    return "stream " + std::to_string(stream) + " sends part " + which + "\n";
  };
  int finished = 0;
  run_bounded(io, [&]() -> asio::awaitable<void> {
    for (auto& e : engines) EXPECT_TRUE(co_await e->start());
    // Part one is queued on every socket before any read starts.
    for (int i = 0; i < kStreams; ++i) {
      asio::write(engines[i]->engine, asio::buffer(fmt_chunk(part(i, "one"))));
    }
    for (int i = 0; i < kStreams; ++i) {
      asio::co_spawn(
          io,
          [&, i]() -> asio::awaitable<void> {
            for (;;) {
              const relay::BodyRead r = co_await engines[i]->conn->read_body(shared);
              if (r.error) {
                got[i] += "error: " + r.error.message();
                break;
              }
              got[i].append(r.payload);  // consumed before this stream suspends again
              if (r.end) break;
            }
            ++finished;
          },
          asio::detached);
    }
    // Part two and the end go out once every reader waits, all at once.
    asio::steady_timer settle(io, std::chrono::milliseconds(20));
    co_await settle.async_wait(kToken);
    for (int i = 0; i < kStreams; ++i) {
      asio::write(engines[i]->engine, asio::buffer(fmt_chunk(part(i, "two")) + "0\r\n\r\n"));
    }
    asio::steady_timer wait(io);
    for (int tries = 0; finished < kStreams && tries < 500; ++tries) {
      wait.expires_after(std::chrono::milliseconds(2));
      co_await wait.async_wait(kToken);
    }
  });
  ASSERT_EQ(finished, kStreams);
  for (int i = 0; i < kStreams; ++i) EXPECT_EQ(got[i], part(i, "one") + part(i, "two"));
}

// An engine that sends batches from a few bytes to far more than a landing buffer holds, with
// pauses between them so that reads land between writes: the body arrives whole and in order.
TEST(EngineRead, BatchesOfEverySizeArriveWholeAndInOrder) {
  asio::io_context io;
  StreamingEngine e(io);
  std::string expected = "first\n";
  std::string received;
  run_bounded(io, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await e.start());
    received = "first\n";
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          asio::steady_timer pause(io);
          char next = 'a';
          for (const std::size_t size :
               {7u, 300u, 511u, 512u, 513u, 1500u, 4096u, 20000u, 9u, 70000u, 40u, 33000u, 1u}) {
            std::string body(size, next);
            next = next == 'z' ? 'a' : static_cast<char>(next + 1);
            expected += body;
            const std::string chunk = fmt_chunk(body);
            co_await asio::async_write(e.engine, asio::buffer(chunk), kToken);
            pause.expires_after(std::chrono::milliseconds(3));
            co_await pause.async_wait(kToken);
          }
          const std::string last = "0\r\n\r\n";
          co_await asio::async_write(e.engine, asio::buffer(last), kToken);
        },
        asio::detached);
    received += co_await e.read_rest();
    e.conn->finish(true);
  });
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected) << "the body arrived altered or out of order";
}

// EdgeRead on its own: a short read drains, and the next read waits for new bytes; a read
// smaller than what is queued leaves the rest for the next one.
TEST(EdgeRead, ReadsWhatIsQueuedAndThenWaitsForNewBytes) {
  asio::io_context io;
  SocketPair pair(io);
  EdgeRead edge(pair.a);
  run_bounded(io, [&]() -> asio::awaitable<void> {
    char buf[4];
    asio::write(pair.b, asio::buffer(std::string("0123456789")));
    std::string got;
    while (got.size() < 10) {
      auto [ec, n] = co_await edge.async_read(buf, sizeof buf, kToken);
      EXPECT_FALSE(ec);
      if (ec) co_return;
      EXPECT_LE(n, sizeof buf);
      got.append(buf, n);
    }
    EXPECT_EQ(got, "0123456789");
    // Nothing is queued now: this read waits until the peer writes.
    asio::steady_timer later(io, std::chrono::milliseconds(20));
    later.async_wait(
        [&](boost::system::error_code) { asio::write(pair.b, asio::buffer(std::string("ab"))); });
    auto [ec, n] = co_await edge.async_read(buf, sizeof buf, kToken);
    EXPECT_FALSE(ec);
    EXPECT_EQ(std::string(buf, n), "ab");
    pair.b.close();
    auto [eof, zero] = co_await edge.async_read(buf, sizeof buf, kToken);
    EXPECT_EQ(eof, asio::error::eof);
    EXPECT_EQ(zero, 0u);
  });
}

// While `edge` waits, the peer sends "last" and closes at once, so that the bytes and the close
// reach the reader in one epoll wake-up; the read gets the bytes.
asio::awaitable<void> read_last_bytes_sent_with_close(asio::io_context* io, SocketPair* pair,
                                                      EdgeRead* edge) {
  asio::steady_timer send(*io, std::chrono::milliseconds(10));
  send.async_wait([pair](boost::system::error_code) {
    asio::write(pair->b, asio::buffer(std::string("last")));
    pair->b.close();
  });
  char buf[16];
  auto [ec, n] = co_await edge->async_read(buf, sizeof buf, kToken);
  EXPECT_FALSE(ec);
  EXPECT_EQ(std::string(buf, n), "last");
}

// A peer that sends its last bytes and closes before the reader runs: the close comes in the
// same wake-up as the bytes, so no new edge follows the short read that took them. The read
// after it waits until recheck() has the reactor look again; then it ends with eof.
TEST(EdgeRead, ACloseThatCameWithTheLastBytesEndsTheReadAfterARecheck) {
  asio::io_context io;
  SocketPair pair(io);
  EdgeRead edge(pair.a);
  run_bounded(io, [&]() -> asio::awaitable<void> {
    co_await read_last_bytes_sent_with_close(&io, &pair, &edge);
    char buf[16];
    bool rechecked = false;
    asio::steady_timer later(io, std::chrono::milliseconds(50));
    later.async_wait([&](boost::system::error_code) {
      rechecked = true;
      edge.recheck();
    });
    auto [eof, zero] = co_await edge.async_read(buf, sizeof buf, kToken);
    EXPECT_TRUE(rechecked) << "the read ended before the recheck: it tried recv again";
    EXPECT_EQ(eof, asio::error::eof);
    EXPECT_EQ(zero, 0u);
  });
}

// Where the close is the normal end of the data, short reads do not drain: the read after the
// last bytes sees the close at once.
TEST(EdgeRead, WhereTheCloseEndsTheDataTheNextReadSeesItAtOnce) {
  asio::io_context io;
  SocketPair pair(io);
  EdgeRead edge(pair.a);
  edge.set_short_read_drains(false);
  run_bounded(io, [&]() -> asio::awaitable<void> {
    co_await read_last_bytes_sent_with_close(&io, &pair, &edge);
    char buf[16];
    auto [eof, zero] = co_await edge.async_read(buf, sizeof buf, kToken);
    EXPECT_EQ(eof, asio::error::eof);
  });
}

// Closing the socket ends a pending read with operation_aborted (how the relay stops reading an
// engine whose client left).
TEST(EdgeRead, ClosingTheSocketEndsThePendingRead) {
  asio::io_context io;
  SocketPair pair(io);
  EdgeRead edge(pair.a);
  run_bounded(io, [&]() -> asio::awaitable<void> {
    asio::steady_timer later(io, std::chrono::milliseconds(10));
    later.async_wait([&](boost::system::error_code) { pair.a.close(); });
    char buf[16];
    auto [ec, n] = co_await edge.async_read(buf, sizeof buf, kToken);
    EXPECT_EQ(ec, asio::error::operation_aborted);
    EXPECT_EQ(n, 0u);
  });
}

// An I/O context destroyed while a read is pending destroys the waiting coroutine (and what its
// frames own) without calling it.
TEST(EdgeRead, AContextDestroyedWithAPendingReadReleasesTheWaiter) {
  auto owned_by_waiter = std::make_shared<int>(0);
  bool resumed = false;
  {
    asio::io_context io;
    asio::co_spawn(
        io,
        [&io, &resumed, held = owned_by_waiter]() -> asio::awaitable<void> {
          SocketPair pair(io);
          EdgeRead edge(pair.a);
          char buf[16];
          co_await edge.async_read(buf, sizeof buf, kToken);
          resumed = true;
        },
        asio::detached);
    io.run_for(std::chrono::milliseconds(20));
    EXPECT_EQ(owned_by_waiter.use_count(), 2);
  }
  EXPECT_FALSE(resumed);
  EXPECT_EQ(owned_by_waiter.use_count(), 1);
}

}  // namespace
}  // namespace sy::http
