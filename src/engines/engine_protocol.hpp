#pragma once
// The protocols Switchyard speaks to engines. Each protocol has a request builder and a stream
// translator that turns the engine's events into OpenAI-shaped SSE for the client.

#include <cstdint>
#include <string_view>

namespace sy::engines {

enum class Protocol : std::uint8_t {
  OpenAI,    // vLLM, SGLang, TGI's Messages API, Ollama's /v1, llama-server's /v1: pass-through
  LlamaCpp,  // llama.cpp server's native /completion stream (completions), /v1 for chat
};

[[nodiscard]] std::string_view to_string(Protocol p) noexcept;

}  // namespace sy::engines
