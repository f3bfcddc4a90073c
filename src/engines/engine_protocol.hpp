#pragma once
// The protocols Switchyard speaks to engines. Each has a request builder (upstream_request.hpp)
// and an adapter that reads the engine's events into the normalised EngineEvent
// (openai_adapter.hpp, llamacpp_adapter.hpp); this header picks the adapter.

#include <cstdint>
#include <string_view>

#include "engines/engine_event.hpp"
#include "sse/sse_parser.hpp"

namespace sy::engines {

enum class Protocol : std::uint8_t {
  OpenAI,    // vLLM, SGLang, TGI's Messages API, Ollama's /v1, llama-server's /v1: pass-through
  LlamaCpp,  // llama.cpp server's native /completion stream (completions), /v1 for chat
};

[[nodiscard]] std::string_view to_string(Protocol p) noexcept;

// The shape of what an engine of `protocol` sends for a chat or a text completion.
[[nodiscard]] WireShape wire_shape(Protocol protocol, bool chat) noexcept;

// Reads one event, or a whole answer, of an engine whose events have `shape`.
[[nodiscard]] EngineEvent decode_event(WireShape shape, const sse::Event& event) noexcept;
[[nodiscard]] EngineAnswer decode_answer(WireShape shape, std::string_view body) noexcept;

}  // namespace sy::engines
