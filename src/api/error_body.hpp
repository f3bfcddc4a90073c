#pragma once
// OpenAI's error envelope, extended with Switchyard's retry advice:
// {"error":{"message","type","param","code","retriable","retry_after_ms"?}}

#include <string>

#include "common/error.hpp"

namespace sy::api {

// Appends the envelope for `error` to `out`.
void append_error_body(std::string& out, const Error& error);
[[nodiscard]] std::string error_body(const Error& error);

}  // namespace sy::api
