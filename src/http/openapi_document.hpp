#pragma once
// The native API's contract, api/openapi.yaml, as built into the binary (served at
// GET /openapi.yaml; the contract tests hold the server to it).

#include <string_view>

namespace sy::http {

[[nodiscard]] std::string_view openapi_document() noexcept;

}  // namespace sy::http
