#include "engines/engine_protocol.hpp"

#include "engines/llamacpp_adapter.hpp"
#include "engines/openai_adapter.hpp"

namespace sy::engines {

std::string_view to_string(Protocol p) noexcept {
  return p == Protocol::OpenAI ? "openai" : "llamacpp";
}

WireShape wire_shape(Protocol protocol, bool chat) noexcept {
  if (chat) return WireShape::OpenAIChat;  // llama.cpp's chat is its OpenAI-compatible /v1
  return protocol == Protocol::LlamaCpp ? WireShape::LlamaCppCompletion
                                        : WireShape::OpenAICompletions;
}

EngineEvent decode_event(WireShape shape, const sse::Event& event) noexcept {
  return shape == WireShape::LlamaCppCompletion ? decode_llamacpp_event(event)
                                                : decode_openai_event(event);
}

EngineAnswer decode_answer(WireShape shape, std::string_view body) noexcept {
  return shape == WireShape::LlamaCppCompletion ? decode_llamacpp_answer(body)
                                                : decode_openai_answer(body);
}

}  // namespace sy::engines
