#pragma once
// Events of an engine that does not speak OpenAI (llama.cpp's native /completion) → OpenAI's
// text_completion stream: one chunk per token, a chunk with the finish reason, a usage chunk
// when the client asked for one, then [DONE]. The engine's own error object passes through as a
// data event; an event that cannot be read becomes an `upstream_error` event.

#include <string>

#include "encoders/stream_encoder.hpp"

namespace sy::encoders {

class CompletionsSseEncoder final : public StreamEncoder {
 public:
  explicit CompletionsSseEncoder(ChunkIdentity identity) : identity_(std::move(identity)) {}
  void encode(const engines::EngineEvent& event, std::string& out) override;

 private:
  void append_chunk(std::string& out, std::string_view text, std::string_view finish_reason);
  void append_usage(std::string& out, const engines::TokenUsage& usage);

  ChunkIdentity identity_;
  std::string scratch_;  // one chunk's JSON; reaches its working size once
};

}  // namespace sy::encoders
