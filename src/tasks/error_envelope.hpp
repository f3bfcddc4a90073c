#pragma once
// The native API's error envelope (api/openapi.yaml, ErrorEnvelope): {code, message, param?,
// engine?, pool_id?, retriable, retry_after_ms?, policy_label?}, with llama-orch's codes. The
// same internal Error feeds it and the OpenAI-compatible envelope (api/error_body.hpp).
// Pure.

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace sy::tasks {

struct ErrorContext {
  std::string_view engine;        // the engine kind involved, when one was
  std::string_view pool_id;       // the pool involved, when one was
  std::string_view policy_label;  // the admission policy that refused (429s)
};

// Appends the envelope of `error` as one line of JSON.
void append_error_envelope(std::string& out, const Error& error, const ErrorContext& context = {});

}  // namespace sy::tasks
