#pragma once
// The native API's TaskRequest (POST /v1/tasks, llama-orch's OrchQueue shape; api/openapi.yaml),
// validated. Pure: no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace sy::tasks {

enum class TaskPriority : std::uint8_t { Interactive, Batch };
enum class Determinism : std::uint8_t { BestEffort, Strict };
enum class PlacementMode : std::uint8_t { Auto, Pin, Prefer };

struct PlacementHint {
  PlacementMode mode = PlacementMode::Auto;
  std::string pin_pool_id;  // mode pin
  std::vector<std::string> prefer_pools;
  std::vector<std::string> avoid_pools;
  bool allow_fallback = true;  // prefer: another pool when none of prefer_pools can take it
};

struct TaskRequest {
  std::string task_id;     // empty: the server generates one
  std::string session_id;  // empty: no session
  std::string model_ref;
  std::string prompt;               // set when the request had `prompt`
  std::vector<std::string> inputs;  // set when it had `inputs`
  std::optional<std::uint32_t> max_tokens;
  std::optional<std::uint32_t> ctx;
  std::optional<std::uint32_t> expected_tokens;
  TaskPriority priority = TaskPriority::Interactive;
  std::optional<std::uint64_t> deadline_ms;  // budget from admission
  std::optional<std::int64_t> seed;
  Determinism determinism = Determinism::BestEffort;
  std::string engine;                   // advisory
  std::string sampler_profile_version;  // advisory
  std::string kv_hint;                  // advisory: reuse | cold
  PlacementHint placement;

  // ~4 characters per token, rounded up (as for OpenAI-compatible requests).
  [[nodiscard]] std::uint32_t estimated_prompt_tokens() const noexcept;
};

// Whether `id` may name a task or a session: 1..128 characters of [A-Za-z0-9._:-].
[[nodiscard]] bool valid_id(std::string_view id) noexcept;

// Validates `body`. Errors: InvalidJson (not JSON, not an object), InvalidParams (a field is
// missing, of the wrong type or out of range, or unknown; `param` names it).
[[nodiscard]] Result<TaskRequest> parse_task_request(std::string_view body);

}  // namespace sy::tasks
