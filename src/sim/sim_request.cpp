#include "sim/sim_request.hpp"

#include <algorithm>
#include <utility>

namespace sy::sim {
namespace {

namespace od = simdjson::ondemand;

constexpr std::int64_t kMaxTokensLimit = std::int64_t{1} << 30;

tl::unexpected<Error> bad_param(std::string_view param, std::string_view what) {
  return fail(ErrorCode::InvalidParams, std::string(param) + " " + std::string(what),
              std::string(param));
}

tl::unexpected<Error> bad_json() {
  return fail(ErrorCode::InvalidJson, "The request body is not valid JSON.");
}

bool is_null(od::value& v) {
  bool null = false;
  return !v.is_null().get(null) && null;
}

// Reads an optional integer field; null leaves `out` alone.
bool read_int(od::value& v, std::int64_t& out) {
  if (is_null(v)) return true;
  std::int64_t n = 0;
  if (v.get_int64().get(n)) return false;
  out = n;
  return true;
}

bool read_bool(od::value& v, bool& out) {
  if (is_null(v)) return true;
  bool b = false;
  if (v.get_bool().get(b)) return false;
  out = b;
  return true;
}

// Characters of an OpenAI message `content`: a string or an array of parts with `text`.
bool add_content_chars(od::value& content, std::int64_t& chars) {
  od::json_type type{};
  if (content.type().get(type)) return false;
  if (type == od::json_type::string) {
    std::string_view text;
    if (content.get_string().get(text)) return false;
    chars += count_code_points(text);
    return true;
  }
  if (type == od::json_type::array) {
    od::array parts;
    if (content.get_array().get(parts)) return false;
    for (auto part_result : parts) {
      od::value part;
      if (part_result.get(part)) return false;
      od::object part_obj;
      if (part.get_object().get(part_obj)) continue;  // not a part object: no text
      std::string_view text;
      if (!part_obj["text"].get_string().get(text)) chars += count_code_points(text);
    }
    return true;
  }
  return true;  // null or other: no characters
}

bool add_messages_chars(od::value& messages, std::int64_t& chars) {
  od::array list;
  if (messages.get_array().get(list)) return false;
  for (auto message_result : list) {
    od::value message;
    if (message_result.get(message)) return false;
    od::object obj;
    if (message.get_object().get(obj)) return false;
    for (auto field_result : obj) {
      od::field field;
      if (std::move(field_result).get(field)) return false;
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      if (key == "content") {
        od::value content = field.value();
        if (!add_content_chars(content, chars)) return false;
      }
    }
  }
  return true;
}

// A prompt is a string, an array of strings, or an array of token ids (4 characters each).
bool add_prompt_chars(od::value& prompt, std::int64_t& chars) {
  od::json_type type{};
  if (prompt.type().get(type)) return false;
  if (type == od::json_type::string) {
    std::string_view text;
    if (prompt.get_string().get(text)) return false;
    chars += count_code_points(text);
    return true;
  }
  if (type != od::json_type::array) return type == od::json_type::null;
  od::array items;
  if (prompt.get_array().get(items)) return false;
  for (auto item_result : items) {
    od::value item;
    if (item_result.get(item)) return false;
    od::json_type item_type{};
    if (item.type().get(item_type)) return false;
    if (item_type == od::json_type::string) {
      std::string_view text;
      if (item.get_string().get(text)) return false;
      chars += count_code_points(text);
    } else if (item_type == od::json_type::number) {
      chars += 4;
    } else {
      return false;
    }
  }
  return true;
}

Result<SimFaults> parse_faults(od::value& v) {
  SimFaults faults;
  if (is_null(v)) return faults;
  od::object obj;
  if (v.get_object().get(obj)) return bad_param("sim_options", "must be an object");
  for (auto field_result : obj) {
    od::field field;
    if (std::move(field_result).get(field)) return bad_json();
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad_json();
    od::value value = field.value();
    std::int64_t n = -1;
    if (key == "ttft_ms" || key == "itl_ms" || key == "stall_after_tokens" ||
        key == "fail_after_tokens" || key == "status" || key == "retry_after_s") {
      if (!read_int(value, n)) {
        return bad_param("sim_options." + std::string(key), "must be an integer");
      }
    } else {
      continue;  // unknown fault fields are ignored so tests can run against older sims
    }
    if (key == "status") {
      if (n != -1 && (n < 100 || n > 599)) {
        return bad_param("sim_options.status", "must be an HTTP status (100..599)");
      }
      faults.status = n == -1 ? 0 : static_cast<int>(n);
      continue;
    }
    if (n < -1) return bad_param("sim_options." + std::string(key), "must be >= 0");
    if (key == "ttft_ms" && n >= 0) faults.ttft_ms = n;
    if (key == "itl_ms" && n >= 0) faults.itl_ms = n;
    if (key == "stall_after_tokens") faults.stall_after_tokens = n;
    if (key == "fail_after_tokens") faults.fail_after_tokens = n;
    if (key == "retry_after_s") faults.retry_after_s = n;
  }
  return faults;
}

}  // namespace

std::int64_t count_code_points(std::string_view text) noexcept {
  std::int64_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

Result<SimRequest> parse_sim_request(SimApi api, std::string& body, std::int64_t default_tokens,
                                     const std::vector<std::string>& models, od::parser& parser) {
  const std::size_t size = body.size();
  body.reserve(size + simdjson::SIMDJSON_PADDING);
  od::document doc;
  if (parser.iterate(body.data(), size, body.capacity()).get(doc)) return bad_json();
  od::object obj;
  if (doc.get_object().get(obj)) {
    return fail(ErrorCode::InvalidJson, "The request body is not a JSON object.");
  }

  SimRequest req;
  req.api = api;
  req.max_tokens = default_tokens;
  std::int64_t chars = 0;
  bool have_model = false;
  bool have_max_tokens = false;

  for (auto field_result : obj) {
    od::field field;
    if (std::move(field_result).get(field)) return bad_json();
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad_json();
    od::value value = field.value();

    if (key == "model") {
      std::string_view model;
      if (value.get_string().get(model)) return bad_param("model", "must be a string");
      req.model.assign(model);
      have_model = true;
    } else if (key == "max_tokens" || key == "max_completion_tokens" || key == "n_predict") {
      std::int64_t n = req.max_tokens;
      if (!read_int(value, n)) return bad_param(key, "must be an integer");
      if (api == SimApi::LlamaCompletion) {
        if (n < 0) n = default_tokens;  // llama.cpp: -1 means "until done"
      } else if (n < 1) {
        return bad_param(key, "must be at least 1");
      }
      // max_completion_tokens is the newer name; an explicit max_tokens wins when both appear.
      if (key != "max_completion_tokens" || !have_max_tokens) req.max_tokens = n;
      if (key == "max_tokens") have_max_tokens = true;
    } else if (key == "stream") {
      if (!read_bool(value, req.stream)) return bad_param("stream", "must be a boolean");
    } else if (key == "stream_options") {
      if (is_null(value)) continue;
      od::object options;
      if (value.get_object().get(options)) return bad_param("stream_options", "must be an object");
      bool include = false;
      auto include_result = options["include_usage"];
      if (include_result.error() == simdjson::SUCCESS) {
        od::value include_value = include_result.value_unsafe();
        if (!read_bool(include_value, include)) {
          return bad_param("stream_options.include_usage", "must be a boolean");
        }
      }
      req.include_usage = include;
    } else if (key == "seed") {
      if (!read_int(value, req.seed)) return bad_param("seed", "must be an integer");
    } else if (key == "messages") {
      if (!add_messages_chars(value, chars)) return bad_param("messages", "must be an array");
    } else if (key == "prompt") {
      if (!add_prompt_chars(value, chars)) {
        return bad_param("prompt", "must be a string or an array");
      }
    } else if (key == "sim_options") {
      auto faults = parse_faults(value);
      if (!faults) return tl::unexpected(std::move(faults.error()));
      req.faults = *faults;
    }
  }

  if (req.max_tokens > kMaxTokensLimit) return bad_param("max_tokens", "is too large");
  req.prompt_tokens = std::max<std::int64_t>(1, (chars + 3) / 4);

  if (api != SimApi::LlamaCompletion) {
    if (!have_model) return bad_param("model", "is required");
    if (std::find(models.begin(), models.end(), req.model) == models.end()) {
      return fail(ErrorCode::ModelNotFound,
                  "The model '" + req.model + "' does not exist on this simulator.", "model");
    }
  }
  return req;
}

}  // namespace sy::sim
