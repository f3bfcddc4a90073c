#pragma once
// Identifier generation: correlation ids (UUIDv4 text) from a per-thread generator, so no
// thread contends on a shared RNG.

#include <string>
#include <string_view>

namespace sy {

// A fresh random UUIDv4 in canonical text form (36 characters).
[[nodiscard]] std::string make_uuid_v4();

// True when `id` is acceptable to echo back as a correlation id: 1..128 characters of visible
// ASCII (no spaces or control characters, which could split headers or log lines).
[[nodiscard]] bool is_acceptable_correlation_id(std::string_view id) noexcept;

}  // namespace sy
