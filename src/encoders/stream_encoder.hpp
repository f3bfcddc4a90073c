#pragma once
// Output encoders: normalised engine events in, the bytes of one client protocol out. Today the
// client protocols are OpenAI chat SSE and OpenAI completions SSE (this header) and the unary
// JSON answer (answer_encoder.hpp); the native task frames are the next.
//
// When the engine already speaks the client's protocol, the encoder passes the engine's bytes
// through untouched: the relay stays a copy, not a parse and re-serialisation.
//
// One encoder per request, on the request's I/O thread. encode() runs once per event on the
// relay's hot path: it appends to the caller's buffer and allocates nothing in steady state.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engines/engine_event.hpp"

namespace sy::encoders {

// What an encoder that builds its own chunks stamps on them (OpenAI's `id`, `created`, `model`).
struct ChunkIdentity {
  std::string id;     // e.g. "cmpl-<correlation id>"
  std::string model;  // the model the client asked for
  std::int64_t created_unix_s = 0;
  bool include_usage = false;  // stream_options.include_usage: a usage chunk before [DONE]
};

class StreamEncoder {
 public:
  virtual ~StreamEncoder() = default;
  // Appends the client's bytes for `event` (complete SSE events, possibly none) to `out`. An
  // event that ends the stream (`end`) appends its end too ([DONE]); an error event appends the
  // error only: the relay decides how the stream then ends.
  virtual void encode(const engines::EngineEvent& event, std::string& out) = 0;
};

// The encoder that turns events of an engine of shape `engine` into a client stream of shape
// `client` (OpenAIChat or OpenAICompletions).
[[nodiscard]] std::unique_ptr<StreamEncoder> make_stream_encoder(engines::WireShape client,
                                                                 engines::WireShape engine,
                                                                 ChunkIdentity identity);

}  // namespace sy::encoders
