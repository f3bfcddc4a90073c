#include "tasks/task_request.hpp"

#include <simdjson.h>

#include <array>
#include <limits>

#include "common/json_scan.hpp"

namespace sy::tasks {
namespace {

using simdjson::ondemand::json_type;
using simdjson::ondemand::value;

constexpr std::uint64_t kMaxTokensLimit = 10'000'000;
constexpr std::size_t kMaxIdBytes = 128;
constexpr std::size_t kMaxListItems = 256;

tl::unexpected<Error> invalid(std::string message, std::string param) {
  return fail(ErrorCode::InvalidParams, std::move(message), std::move(param));
}

tl::unexpected<Error> not_json() {
  return fail(ErrorCode::InvalidJson, "The request body is not valid JSON.");
}

// A string member; `what` describes what it must be, for the message.
Result<std::string_view> string_of(value v, std::string_view key, std::string_view what) {
  json_type t;
  std::string_view s;
  if (v.type().get(t) || t != json_type::string || v.get_string().get(s)) {
    return invalid("`" + std::string(key) + "` must be " + std::string(what) + ".",
                   std::string(key));
  }
  return s;
}

Result<std::uint64_t> uint_of(value v, std::string_view key, std::uint64_t min, std::uint64_t max) {
  json_type t;
  std::uint64_t n = 0;
  if (v.type().get(t) || t != json_type::number || v.get_uint64().get(n) || n < min || n > max) {
    return invalid("`" + std::string(key) + "` must be an integer from " + std::to_string(min) +
                       " to " + std::to_string(max) + ".",
                   std::string(key));
  }
  return n;
}

// One of `names`, as its index.
template <std::size_t N>
Result<std::size_t> enum_of(value v, std::string_view key,
                            const std::array<std::string_view, N>& names) {
  std::string list;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) list += i + 1 == N ? " or " : ", ";
    list += "'" + std::string(names[i]) + "'";
  }
  auto s = string_of(v, key, "one of " + list);
  if (!s) return tl::unexpected(s.error());
  for (std::size_t i = 0; i < N; ++i) {
    if (*s == names[i]) return i;
  }
  return invalid("`" + std::string(key) + "` must be " + list + ".", std::string(key));
}

Result<std::string> id_of(value v, std::string_view key) {
  auto s = string_of(v, key, "a string");
  if (!s) return tl::unexpected(s.error());
  if (!valid_id(*s)) {
    return invalid("`" + std::string(key) +
                       "` must be 1 to 128 characters of letters, digits, '.', '_', ':' or '-'.",
                   std::string(key));
  }
  return std::string(*s);
}

Result<std::vector<std::string>> strings_of(value v, std::string_view key, bool ids) {
  const std::string what = "`" + std::string(key) + "` must be an array of " +
                           (ids ? "pool ids" : "strings") + " (at most " +
                           std::to_string(kMaxListItems) + ").";
  json_type t;
  simdjson::ondemand::array arr;
  if (v.type().get(t) || t != json_type::array || v.get_array().get(arr)) {
    return invalid(what, std::string(key));
  }
  std::vector<std::string> out;
  for (auto item : arr) {
    std::string_view s;
    if (item.get_string().get(s) || out.size() == kMaxListItems || (ids && !valid_id(s))) {
      return invalid(what, std::string(key));
    }
    out.emplace_back(s);
  }
  return out;
}

Result<PlacementHint> placement_of(value v) {
  json_type t;
  simdjson::ondemand::object obj;
  if (v.type().get(t) || t != json_type::object || v.get_object().get(obj)) {
    return invalid("`placement` must be an object.", "placement");
  }
  PlacementHint p;
  for (auto field : obj) {
    std::string_view key;
    value fv;
    if (field.unescaped_key().get(key) || field.value().get(fv)) return not_json();
    if (key == "mode") {
      constexpr std::array<std::string_view, 3> kModes{"auto", "pin", "prefer"};
      auto m = enum_of(fv, "placement.mode", kModes);
      if (!m) return tl::unexpected(m.error());
      p.mode = static_cast<PlacementMode>(*m);
    } else if (key == "pin_pool_id") {
      auto id = id_of(fv, "placement.pin_pool_id");
      if (!id) return tl::unexpected(id.error());
      p.pin_pool_id = std::move(*id);
    } else if (key == "prefer_pools" || key == "avoid_pools") {
      auto list = strings_of(fv, "placement." + std::string(key), true);
      if (!list) return tl::unexpected(list.error());
      (key == "prefer_pools" ? p.prefer_pools : p.avoid_pools) = std::move(*list);
    } else if (key == "allow_fallback") {
      bool b = true;
      if (fv.get_bool().get(b)) {
        return invalid("`placement.allow_fallback` must be true or false.",
                       "placement.allow_fallback");
      }
      p.allow_fallback = b;
    } else {
      return invalid("Unknown field `placement." + std::string(key) + "`.",
                     "placement." + std::string(key));
    }
  }
  if (p.mode == PlacementMode::Pin && p.pin_pool_id.empty()) {
    return invalid("`placement.mode` 'pin' needs `placement.pin_pool_id`.",
                   "placement.pin_pool_id");
  }
  if (p.mode == PlacementMode::Prefer && p.prefer_pools.empty()) {
    return invalid("`placement.mode` 'prefer' needs `placement.prefer_pools`.",
                   "placement.prefer_pools");
  }
  return p;
}

// Reads one top-level member into `req`.
Result<bool> read_member(std::string_view key, value v, TaskRequest& req, bool& have_prompt,
                         bool& have_inputs) {
  auto take_uint = [&](std::optional<std::uint32_t>& out, std::uint64_t min,
                       std::uint64_t max) -> Result<bool> {
    auto n = uint_of(v, key, min, max);
    if (!n) return tl::unexpected(n.error());
    out = static_cast<std::uint32_t>(*n);
    return true;
  };
  if (key == "task_id" || key == "session_id") {
    auto id = id_of(v, key);
    if (!id) return tl::unexpected(id.error());
    (key == "task_id" ? req.task_id : req.session_id) = std::move(*id);
  } else if (key == "model_ref") {
    auto s = string_of(v, key, "a non-empty string");
    if (!s) return tl::unexpected(s.error());
    if (s->empty()) return invalid("`model_ref` must be a non-empty string.", "model_ref");
    req.model_ref = std::string(*s);
  } else if (key == "prompt") {
    auto s = string_of(v, key, "a string");
    if (!s) return tl::unexpected(s.error());
    req.prompt = std::string(*s);
    have_prompt = true;
  } else if (key == "inputs") {
    auto list = strings_of(v, key, false);
    if (!list) return tl::unexpected(list.error());
    if (list->empty()) return invalid("`inputs` must not be empty.", "inputs");
    req.inputs = std::move(*list);
    have_inputs = true;
  } else if (key == "workload") {
    constexpr std::array<std::string_view, 1> kWorkloads{"completion"};
    auto w = enum_of(v, key, kWorkloads);
    if (!w) return tl::unexpected(w.error());
  } else if (key == "engine") {
    constexpr std::array<std::string_view, 7> kEngines{"llamacpp", "vllm",   "tgi",   "triton",
                                                       "openai",   "sglang", "ollama"};
    auto e = enum_of(v, key, kEngines);
    if (!e) return tl::unexpected(e.error());
    req.engine = std::string(kEngines[*e]);
  } else if (key == "ctx") {
    return take_uint(req.ctx, 0, std::numeric_limits<std::int32_t>::max());
  } else if (key == "max_tokens") {
    return take_uint(req.max_tokens, 1, kMaxTokensLimit);
  } else if (key == "expected_tokens") {
    return take_uint(req.expected_tokens, 0, kMaxTokensLimit);
  } else if (key == "priority") {
    constexpr std::array<std::string_view, 2> kPriorities{"interactive", "batch"};
    auto p = enum_of(v, key, kPriorities);
    if (!p) return tl::unexpected(p.error());
    req.priority = static_cast<TaskPriority>(*p);
  } else if (key == "deadline_ms") {
    auto n = uint_of(v, key, 1, std::numeric_limits<std::int64_t>::max());
    if (!n) return tl::unexpected(n.error());
    req.deadline_ms = *n;
  } else if (key == "seed") {
    std::int64_t seed = 0;
    if (v.get_int64().get(seed)) return invalid("`seed` must be a 64-bit integer.", "seed");
    req.seed = seed;
  } else if (key == "determinism") {
    constexpr std::array<std::string_view, 2> kModes{"best_effort", "strict"};
    auto d = enum_of(v, key, kModes);
    if (!d) return tl::unexpected(d.error());
    req.determinism = static_cast<Determinism>(*d);
  } else if (key == "sampler_profile_version") {
    auto s = string_of(v, key, "a string");
    if (!s) return tl::unexpected(s.error());
    req.sampler_profile_version = std::string(*s);
  } else if (key == "kv_hint") {
    constexpr std::array<std::string_view, 2> kHints{"reuse", "cold"};
    auto h = enum_of(v, key, kHints);
    if (!h) return tl::unexpected(h.error());
    req.kv_hint = std::string(kHints[*h]);
  } else if (key == "placement") {
    auto p = placement_of(v);
    if (!p) return tl::unexpected(p.error());
    req.placement = std::move(*p);
  } else {
    return invalid("Unknown field `" + std::string(key) + "`.", std::string(key));
  }
  return true;
}

}  // namespace

bool valid_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::uint32_t TaskRequest::estimated_prompt_tokens() const noexcept {
  std::uint64_t chars = prompt.size();
  for (const std::string& s : inputs) chars += s.size();
  const std::uint64_t t = (chars + 3) / 4;
  return t > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(t);
}

Result<TaskRequest> parse_task_request(std::string_view body) {
  if (const json::ScanResult scan = json::validate(body); !scan.ok()) {
    return fail(ErrorCode::InvalidJson, scan.status == json::ScanStatus::InvalidUtf8
                                            ? "The request body is not valid UTF-8."
                                            : "The request body is not valid JSON (at byte " +
                                                  std::to_string(scan.offset) + ").");
  }
  const simdjson::padded_string padded(body);
  thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object root;
  if (parser.iterate(padded).get(doc)) return not_json();
  if (doc.get_object().get(root)) {
    return fail(ErrorCode::InvalidJson, "The request body must be a JSON object.");
  }
  TaskRequest req;
  bool have_prompt = false;
  bool have_inputs = false;
  for (auto field : root) {
    std::string_view key;
    value v;
    if (field.unescaped_key().get(key) || field.value().get(v)) return not_json();
    auto r = read_member(key, v, req, have_prompt, have_inputs);
    if (!r) return tl::unexpected(r.error());
  }
  if (req.model_ref.empty()) return invalid("`model_ref` is required.", "model_ref");
  if (have_prompt == have_inputs) {
    return invalid("Exactly one of `prompt` and `inputs` is required.",
                   have_prompt ? "inputs" : "prompt");
  }
  return req;
}

}  // namespace sy::tasks
