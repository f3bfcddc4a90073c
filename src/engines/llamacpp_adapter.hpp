#pragma once
// The llama.cpp adapter for its native /completion endpoint: one {"content":"..","stop":false}
// event per token, then {"stop":true,"stop_type":..,"tokens_predicted":..,"tokens_evaluated":..};
// no [DONE]. (llama.cpp's chat goes through its OpenAI-compatible /v1 and the OpenAI adapter.)
//
// Every event is validated as JSON (an event that is not is Malformed: the engine's fault), then
// its top-level members are read in place.
//
// Pure: no I/O, no allocation. Safe on any thread.

#include <string_view>

#include "engines/engine_event.hpp"
#include "sse/sse_parser.hpp"

namespace sy::engines {

[[nodiscard]] EngineEvent decode_llamacpp_event(const sse::Event& event) noexcept;
[[nodiscard]] EngineAnswer decode_llamacpp_answer(std::string_view body) noexcept;

}  // namespace sy::engines
