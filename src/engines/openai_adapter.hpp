#pragma once
// The OpenAI-compatible adapter (vLLM, SGLang, TGI's Messages API, Ollama's /v1, llama-server's
// /v1): reads chat.completion.chunk and text_completion events, and whole answers, into the
// normalised event. The events themselves reach an OpenAI client byte for byte (the pass-through
// encoder); this only looks at them, with cheap scans rather than a JSON parse, because it runs
// once per token on the relay's hot path.
//
// Pure: no I/O, no allocation. Safe on any thread.

#include <cstdint>
#include <string_view>

#include "engines/engine_event.hpp"
#include "sse/sse_parser.hpp"

namespace sy::engines {

[[nodiscard]] EngineEvent decode_openai_event(const sse::Event& event) noexcept;
[[nodiscard]] EngineAnswer decode_openai_answer(std::string_view body) noexcept;

// The cheap scans (exposed for tests). They read compact JSON the way engines write it and
// recognise a key by its closing `":`, which no string value can contain unescaped.
//
// The first non-empty `content` or `text` string (a token, quotes included), or "".
[[nodiscard]] std::string_view content_token(std::string_view json) noexcept;
// The `finish_reason` string token, or "" when it is null or absent.
[[nodiscard]] std::string_view finish_reason_token(std::string_view json) noexcept;
// True when the chunk has a `"usage":` member.
[[nodiscard]] bool has_usage_member(std::string_view json) noexcept;
// Value of the integer member `"name":` in `json`, or 0.
[[nodiscard]] std::uint64_t scan_uint_member(std::string_view json, std::string_view name) noexcept;
// True when the data is an error object (`{"error":...}` first), as engines report failures.
[[nodiscard]] bool is_error_object(std::string_view data) noexcept;

}  // namespace sy::engines
