#pragma once
// StreamSink: where the request pipeline writes what the client receives, whatever carries it.
// A request gets either one whole answer (an engine's JSON, or a coded error), or a stream: a
// head, batches of encoded events, and an end. The sink also reports the client leaving, at once
// and to a listener (which closes the engine connection), not when the next write fails.
//
// Implementations: http/http1_sink.* (HTTP/1.1 chunked SSE, HTTP/1.0 close-delimited SSE, unary
// JSON). Native task streams, HTTP/2 and an agent tunnel add theirs.
//
// The sink also owns the client's stream format: the encoder of the engine's events, and the
// few events the pipeline writes itself (where the request waits, an error that ends the stream,
// the end after an engine's error, a whole answer inside an open stream). The defaults are
// OpenAI's SSE format; a sink for another client protocol (native task frames) overrides them.
//
// Thread: the request's I/O thread. Every write returns false when it failed; a failed write
// also marks the client gone.

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "encoders/stream_encoder.hpp"
#include "engines/engine_event.hpp"

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

  // ---- the client's stream format (OpenAI SSE unless a sink overrides it) ----
  // The encoder of the engine's events (shape `engine`) for this client. `client` and `identity`
  // are what an OpenAI client of the request expects.
  [[nodiscard]] virtual std::unique_ptr<encoders::StreamEncoder> make_encoder(
      engines::WireShape client, engines::WireShape engine, encoders::ChunkIdentity identity);
  // Where a streamed request waits (0: first in line) and when it should start (ms from now,
  // admission's live estimate). OpenAI: an SSE comment with the position.
  virtual void append_queue_position(std::string& out, std::size_t position,
                                     std::uint64_t predicted_start_ms);
  // An error that ends the stream. OpenAI: an error event, then [DONE].
  virtual void append_stream_error(std::string& out, const Error& error);
  // The end of a stream whose last event was the engine's own error. OpenAI: [DONE].
  virtual void append_end_after_error(std::string& out);
  // A whole answer of the engine (`status`, JSON `body`) inside an open stream. OpenAI: one data
  // event with the body, then [DONE].
  virtual void append_answer_event(std::string& out, int status, std::string_view body);
  // The request was placed on an engine (each attempt). OpenAI: nothing to tell the client.
  virtual void placed(std::string_view /*pool_id*/, std::string_view /*replica_id*/) {}

  // ---- the client leaving ----
  // Starts watching the client; from now on `listener` (may be null) hears when it leaves.
  virtual void watch(GoneListener* listener) = 0;
  [[nodiscard]] virtual bool gone() const noexcept = 0;
  // Records that the client is gone (a write to it failed) and tells the listener.
  virtual void mark_gone() noexcept = 0;
};

}  // namespace sy::relay
