#include "api/completion_request.hpp"

#include <simdjson.h>

#include "common/json_scan.hpp"

namespace sy::api {
namespace {

using simdjson::ondemand::json_type;

constexpr std::uint64_t kMaxTokensLimit = 10'000'000;

std::uint32_t chars_to_tokens(std::uint64_t chars) {
  const std::uint64_t t = (chars + 3) / 4;
  return t > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(t);
}

// Removes every top-level `priority` member with a string value (Switchyard's own field; a
// numeric one is an engine's and stays).
void erase_string_priority(std::string& body) {
  for (;;) {
    const auto members = json::top_level_members(body);
    std::size_t found = members.size();
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (members[i].key == "priority" && !members[i].value.empty() &&
          members[i].value.front() == '"') {
        found = i;
        break;
      }
    }
    if (found == members.size()) return;
    body = json::without_member(body, members, found);
  }
}

Error invalid_json(const json::ScanResult& scan) {
  switch (scan.status) {
    case json::ScanStatus::InvalidUtf8:
      return Error{ErrorCode::InvalidJson, "The request body is not valid UTF-8.", {}, 0};
    case json::ScanStatus::TooDeep:
      return Error{ErrorCode::InvalidJson,
                   "The request body nests arrays and objects deeper than " +
                       std::to_string(json::kMaxDepth) + " levels.",
                   {},
                   0};
    default:
      return Error{
          ErrorCode::InvalidJson,
          "The request body is not valid JSON (at byte " + std::to_string(scan.offset) + ").",
          {},
          0};
  }
}

std::uint64_t text_length_of_content(simdjson::ondemand::value content) {
  json_type t;
  if (content.type().get(t)) return 0;
  if (t == json_type::string) {
    std::string_view s;
    return content.get_string().get(s) ? 0 : s.size();
  }
  if (t != json_type::array) return 0;
  std::uint64_t total = 0;
  simdjson::ondemand::array parts;
  if (content.get_array().get(parts)) return 0;
  for (auto part : parts) {
    simdjson::ondemand::object obj;
    if (part.get_object().get(obj)) continue;
    std::string_view text;
    if (!obj["text"].get_string().get(text)) total += text.size();
  }
  return total;
}

Result<std::uint64_t> prompt_chars(simdjson::ondemand::value prompt) {
  json_type t;
  if (prompt.type().get(t))
    return fail(ErrorCode::InvalidJson, "The request body is not valid JSON.");
  if (t == json_type::string) {
    std::string_view s;
    if (prompt.get_string().get(s)) return fail(ErrorCode::InvalidJson, "Bad string in `prompt`.");
    return s.size();
  }
  if (t == json_type::array) {
    std::uint64_t total = 0;
    simdjson::ondemand::array items;
    if (prompt.get_array().get(items)) return fail(ErrorCode::InvalidJson, "Bad `prompt` array.");
    for (auto item : items) {
      json_type it;
      if (item.type().get(it)) return fail(ErrorCode::InvalidJson, "Bad `prompt` array.");
      if (it == json_type::string) {
        std::string_view s;
        if (!item.get_string().get(s)) total += s.size();
      } else {
        total += 4;  // a token id or a nested token list: count a token's worth
      }
    }
    return total;
  }
  return fail(ErrorCode::InvalidParams, "`prompt` must be a string or an array.", "prompt");
}

}  // namespace

Result<CompletionRequest> parse_completion_request(CompletionKind kind, std::string body) {
  CompletionRequest req;
  req.kind = kind;
  const std::size_t size = body.size();
  body.reserve(size + simdjson::SIMDJSON_PADDING);
  // A full validation first: On-Demand only validates what it visits, and a request with broken
  // JSON anywhere must get a 400 here rather than reach the engine. It accepts every RFC 8259
  // text, numbers of any size included, since members we do not read pass through untouched.
  if (const json::ScanResult scan = json::validate(body); !scan.ok()) {
    return tl::unexpected(invalid_json(scan));
  }
  thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(simdjson::padded_string_view(body.data(), size, body.capacity())).get(doc)) {
    return fail(ErrorCode::InvalidJson, "The request body is not valid JSON.");
  }
  simdjson::ondemand::object root;
  if (doc.get_object().get(root)) {
    return fail(ErrorCode::InvalidJson, "The request body must be a JSON object.");
  }

  bool have_model = false;
  bool have_input = false;
  std::uint64_t chars = 0;

  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key))
      return fail(ErrorCode::InvalidJson, "The request body is not valid JSON.");
    simdjson::ondemand::value value;
    if (field.value().get(value))
      return fail(ErrorCode::InvalidJson, "The request body is not valid JSON.");
    json_type type;
    if (value.type().get(type))
      return fail(ErrorCode::InvalidJson, "The request body is not valid JSON.");

    if (key == "model") {
      std::string_view model;
      if (type != json_type::string || value.get_string().get(model) || model.empty()) {
        return fail(ErrorCode::InvalidParams, "`model` must be a non-empty string.", "model");
      }
      req.model = std::string(model);
      have_model = true;
    } else if (key == "stream") {
      bool b = false;
      if (type == json_type::null) continue;
      if (type != json_type::boolean || value.get_bool().get(b)) {
        return fail(ErrorCode::InvalidParams, "`stream` must be a boolean.", "stream");
      }
      req.stream = b;
    } else if (key == "stream_options") {
      if (type == json_type::null) continue;
      simdjson::ondemand::object opts;
      if (type != json_type::object || value.get_object().get(opts)) {
        return fail(ErrorCode::InvalidParams, "`stream_options` must be an object.",
                    "stream_options");
      }
      for (auto opt : opts) {
        std::string_view okey;
        if (opt.unescaped_key().get(okey))
          return fail(ErrorCode::InvalidJson, "The request body is not valid JSON.");
        if (okey != "include_usage") continue;
        bool b = false;
        if (opt.value().get_bool().get(b)) {
          return fail(ErrorCode::InvalidParams, "`stream_options.include_usage` must be a boolean.",
                      "stream_options.include_usage");
        }
        req.include_usage = b;
      }
    } else if (key == "max_tokens" || key == "max_completion_tokens") {
      if (type == json_type::null) continue;
      std::uint64_t n = 0;
      if (type != json_type::number || value.get_uint64().get(n) || n == 0 || n > kMaxTokensLimit) {
        return fail(ErrorCode::InvalidParams,
                    "`" + std::string(key) + "` must be an integer between 1 and 10000000.",
                    std::string(key));
      }
      req.max_tokens = static_cast<std::uint32_t>(n);
    } else if (key == "priority") {
      if (type != json_type::string) continue;  // an engine's own numeric priority passes through
      std::string_view p;
      if (value.get_string().get(p)) {
        return fail(ErrorCode::InvalidParams, "`priority` must be 'interactive' or 'batch'.",
                    "priority");
      }
      req.priority = std::string(p);
    } else if (kind == CompletionKind::Chat && key == "messages") {
      simdjson::ondemand::array messages;
      if (type != json_type::array || value.get_array().get(messages)) {
        return fail(ErrorCode::InvalidParams, "`messages` must be a non-empty array.", "messages");
      }
      std::size_t count = 0;
      for (auto m : messages) {
        simdjson::ondemand::object msg;
        if (m.get_object().get(msg)) {
          return fail(ErrorCode::InvalidParams, "Each entry of `messages` must be an object.",
                      "messages");
        }
        bool have_role = false;
        for (auto mf : msg) {
          std::string_view mkey;
          if (mf.unescaped_key().get(mkey))
            return fail(ErrorCode::InvalidJson, "The request body is not valid JSON.");
          simdjson::ondemand::value mv;
          if (mf.value().get(mv))
            return fail(ErrorCode::InvalidJson, "The request body is not valid JSON.");
          if (mkey == "role") {
            std::string_view role;
            if (mv.get_string().get(role) || role.empty()) {
              return fail(ErrorCode::InvalidParams, "Each message needs a string `role`.",
                          "messages");
            }
            have_role = true;
          } else if (mkey == "content") {
            chars += text_length_of_content(mv);
          }
        }
        if (!have_role) {
          return fail(ErrorCode::InvalidParams, "Each message needs a string `role`.", "messages");
        }
        ++count;
      }
      if (count == 0) {
        return fail(ErrorCode::InvalidParams, "`messages` must be a non-empty array.", "messages");
      }
      have_input = true;
    } else if (kind == CompletionKind::Text && key == "prompt") {
      auto n = prompt_chars(value);
      if (!n) return tl::unexpected(n.error());
      chars += *n;
      have_input = true;
    }
  }
  if (!have_model) return fail(ErrorCode::InvalidParams, "`model` is required.", "model");
  if (!have_input) {
    return kind == CompletionKind::Chat
               ? fail(ErrorCode::InvalidParams, "`messages` is required.", "messages")
               : fail(ErrorCode::InvalidParams, "`prompt` is required.", "prompt");
  }
  req.estimated_prompt_tokens = chars_to_tokens(chars);
  body.resize(size);
  if (req.priority) erase_string_priority(body);
  req.upstream_body = std::move(body);
  return req;
}

}  // namespace sy::api
