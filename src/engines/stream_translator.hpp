#pragma once
// Turns an engine's response into what the client receives, in OpenAI's shape, and counts
// tokens on the way. One translator per request; lives on the request's I/O thread.
//
// Hot path: on_event() runs once per token. It appends to a caller-owned buffer and allocates
// nothing in steady state.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/completion_request.hpp"
#include "common/error.hpp"
#include "engines/engine_protocol.hpp"
#include "sse/sse_parser.hpp"

namespace sy::engines {

enum class EventResult : std::uint8_t {
  Continue,     // keep reading
  Done,         // the stream is complete (the client bytes for its end were appended)
  EngineError,  // the engine reported an error; its error event was appended, nothing follows
  Malformed,    // the engine sent an event that cannot be read; an error event was appended
};

class StreamTranslator {
 public:
  virtual ~StreamTranslator() = default;

  // Handles one upstream SSE event, appending complete SSE events for the client to `out`.
  virtual EventResult on_event(const sse::Event& event, std::string& out) = 0;

  // Non-streaming: the engine's whole JSON response → the client's JSON body.
  [[nodiscard]] virtual Result<std::string> translate_body(std::string_view body) = 0;

  // Content-bearing events seen so far, or the engine's own count once usage was reported.
  [[nodiscard]] std::uint64_t tokens_out() const noexcept {
    return usage_completion_tokens_ ? usage_completion_tokens_ : content_events_;
  }
  [[nodiscard]] std::uint64_t content_events() const noexcept { return content_events_; }
  [[nodiscard]] std::uint64_t prompt_tokens() const noexcept { return usage_prompt_tokens_; }

 protected:
  std::uint64_t content_events_ = 0;
  std::uint64_t usage_completion_tokens_ = 0;
  std::uint64_t usage_prompt_tokens_ = 0;
};

// `correlation_id` names the chunks the llama.cpp translator makes (`cmpl-<id>`).
[[nodiscard]] std::unique_ptr<StreamTranslator> make_stream_translator(
    Protocol protocol, const api::CompletionRequest& request, std::string_view correlation_id);

// Cheap scans over one OpenAI chunk's JSON text (exposed for tests).
// True when the chunk carries non-empty `content` or `text`.
[[nodiscard]] bool chunk_has_content(std::string_view json) noexcept;
// True when the chunk has a `"usage":` member (compact JSON, as engines send it).
[[nodiscard]] bool has_usage_member(std::string_view json) noexcept;
// Value of the integer member `"name":` in `json`, or 0.
[[nodiscard]] std::uint64_t scan_uint_member(std::string_view json, std::string_view name) noexcept;

}  // namespace sy::engines
