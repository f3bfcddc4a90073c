#pragma once
// StreamSink: where the request pipeline writes what the client receives, whatever carries it.
// A request gets either one whole answer (an engine's JSON, or a coded error), or a stream: a
// head, batches of encoded events, and an end. The sink also reports the client leaving, at once
// and to a listener (which closes the engine connection), not when the next write fails.
//
// Implementations: http/http1_sink.* (HTTP/1.1 chunked SSE, HTTP/1.0 close-delimited SSE, unary
// JSON). Native task streams, HTTP/2 and an agent tunnel add theirs.
//
// Thread: the request's I/O thread. Every write returns false when it failed; a failed write
// also marks the client gone.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string_view>

#include "common/error.hpp"

namespace sy::relay {

// Told the moment the client is gone (from the event loop, not from a coroutine).
class GoneListener {
 public:
  virtual void client_gone() noexcept = 0;

 protected:
  ~GoneListener() = default;
};

class StreamSink {
 public:
  virtual ~StreamSink() = default;

  // ---- a whole answer (nothing was sent yet) ----
  // `retry_after` is sent as Retry-After when not empty.
  [[nodiscard]] virtual boost::asio::awaitable<bool> send_answer(int status,
                                                                 std::string_view content_type,
                                                                 std::string_view body,
                                                                 std::string_view retry_after) = 0;
  // OpenAI's error envelope with the status of error.code (429/503 with Retry-After).
  [[nodiscard]] virtual boost::asio::awaitable<bool> send_error(const Error& error) = 0;

  // ---- a stream ----
  // Sends the stream's head (once); stream_open() is true afterwards.
  [[nodiscard]] virtual boost::asio::awaitable<bool> open_stream() = 0;
  // Sends encoded events (a no-op when empty).
  [[nodiscard]] virtual boost::asio::awaitable<bool> send_events(std::string_view events) = 0;
  // Sends the last events (may be empty) and ends the stream.
  [[nodiscard]] virtual boost::asio::awaitable<bool> end_stream(std::string_view events) = 0;
  [[nodiscard]] virtual bool stream_open() const noexcept = 0;

  // ---- the client leaving ----
  // Starts watching the client; from now on `listener` (may be null) hears when it leaves.
  virtual void watch(GoneListener* listener) = 0;
  [[nodiscard]] virtual bool gone() const noexcept = 0;
  // Records that the client is gone (a write to it failed) and tells the listener.
  virtual void mark_gone() noexcept = 0;
};

}  // namespace sy::relay
