#pragma once
// The unary JSON answer: an engine's whole answer → the body the client receives. An engine that
// speaks the client's protocol has its body passed through byte for byte; llama.cpp's native
// answer becomes OpenAI's text_completion object. Pure.

#include <string>

#include "common/error.hpp"
#include "encoders/stream_encoder.hpp"

namespace sy::encoders {

// Errors: UpstreamError when the engine's answer cannot be read (it is not JSON).
[[nodiscard]] Result<std::string> encode_answer(engines::WireShape client,
                                                engines::WireShape engine,
                                                const engines::EngineAnswer& answer,
                                                const ChunkIdentity& identity);

}  // namespace sy::encoders
