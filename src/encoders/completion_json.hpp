#pragma once
// The pieces of OpenAI's text_completion JSON that the stream and the whole-answer encoders
// share. Pure.

#include "common/json_writer.hpp"
#include "encoders/stream_encoder.hpp"

namespace sy::encoders {

// Opens the object and writes `id`, `object`, `created` and `model`.
void begin_text_completion(JsonWriter& w, const ChunkIdentity& identity);
// Writes the member `"usage":{prompt_tokens, completion_tokens, total_tokens}`.
void write_usage(JsonWriter& w, const engines::TokenUsage& usage);
// Writes the member `"choices":[{text, index, logprobs, finish_reason}]`; `text` and
// `finish_reason` are JSON string tokens, a finish reason of "" is written as null.
void write_text_choice(JsonWriter& w, std::string_view text, std::string_view finish_reason);

}  // namespace sy::encoders
