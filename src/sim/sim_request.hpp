#pragma once
// SimRequest: what the simulator needs from a generation request body, parsed from the
// OpenAI-compatible (/v1/chat/completions, /v1/completions) or llama.cpp native (/completion)
// JSON. Pure; call on any thread with that thread's simdjson parser.

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace sy::sim {

enum class SimApi : std::uint8_t { ChatCompletions, Completions, LlamaCompletion };

// Test-only behaviour requested in the body's optional `sim_options` object.
struct SimFaults {
  std::optional<std::int64_t> ttft_ms;   // overrides --ttft-ms
  std::optional<std::int64_t> itl_ms;    // overrides --itl-ms
  std::int64_t stall_after_tokens = -1;  // >= 0: stop sending after N tokens, keep the socket
  std::int64_t fail_after_tokens = -1;   // >= 0: close the socket after N tokens
  int status = 0;                        // != 0: answer at once with this status and an error
  std::int64_t retry_after_s = -1;       // >= 0: Retry-After on an injected 429 or 503 (default 1)
};

struct SimRequest {
  SimApi api = SimApi::ChatCompletions;
  std::string model;  // as sent (empty for the native API when absent)
  std::int64_t max_tokens = 0;
  bool stream = false;
  bool include_usage = false;
  std::int64_t seed = 0;
  std::int64_t prompt_tokens = 1;  // ceil(prompt characters / 4), at least 1
  SimFaults faults;
};

// Parses `body`. The string may be grown to add simdjson's padding (its contents are unchanged).
// Errors: InvalidJson (not JSON / not an object), InvalidParams (a field of the wrong type or out
// of range; Error::param names it), ModelNotFound (model not among `models`; OpenAI APIs only).
[[nodiscard]] Result<SimRequest> parse_sim_request(SimApi api, std::string& body,
                                                   std::int64_t default_tokens,
                                                   const std::vector<std::string>& models,
                                                   simdjson::ondemand::parser& parser);

// Number of Unicode code points in UTF-8 `text` (bytes that are not continuation bytes).
[[nodiscard]] std::int64_t count_code_points(std::string_view text) noexcept;

}  // namespace sy::sim
