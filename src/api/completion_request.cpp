#include "api/completion_request.hpp"

#include <simdjson.h>

namespace sy::api {
namespace {

using simdjson::ondemand::json_type;

constexpr std::uint64_t kMaxTokensLimit = 10'000'000;

std::uint32_t chars_to_tokens(std::uint64_t chars) {
  const std::uint64_t t = (chars + 3) / 4;
  return t > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(t);
}

// Removes the object member whose value token spans [value_begin, value_end) from `body`,
// together with its key and one adjoining comma, so the result stays valid JSON.
void erase_member(std::string& body, std::size_t value_begin, std::size_t value_end) {
  // Walk back over whitespace, ':', whitespace and the quoted key.
  std::size_t i = value_begin;
  auto skip_ws_back = [&] {
    while (i > 0 && (body[i - 1] == ' ' || body[i - 1] == '\t' || body[i - 1] == '\n' ||
                     body[i - 1] == '\r'))
      --i;
  };
  skip_ws_back();
  if (i == 0 || body[i - 1] != ':') return;
  --i;
  skip_ws_back();
  if (i == 0 || body[i - 1] != '"') return;
  --i;
  while (i > 0 && !(body[i - 1] == '"' && (i < 2 || body[i - 2] != '\\'))) --i;
  if (i == 0) return;
  --i;  // at the key's opening quote
  std::size_t begin = i;
  std::size_t end = value_end;
  skip_ws_back();
  if (i > 0 && body[i - 1] == ',') {
    begin = i - 1;  // "..., "priority":"batch"" → drop the comma before
  } else {
    std::size_t j = end;
    while (j < body.size() &&
           (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r'))
      ++j;
    if (j < body.size() && body[j] == ',') end = j + 1;  // first member: drop the comma after
  }
  body.erase(begin, end - begin);
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
  // A full DOM parse first: On-Demand only validates what it visits, and a request with broken
  // JSON anywhere must get a 400 here rather than reach the engine.
  thread_local simdjson::dom::parser validator;
  simdjson::dom::element ignored;
  if (validator.parse(body.data(), size, false).get(ignored)) {
    return fail(ErrorCode::InvalidJson, "The request body is not valid JSON.");
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
  std::optional<std::pair<std::size_t, std::size_t>> priority_span;
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
      std::string_view raw = value.raw_json_token();
      std::string_view p;
      if (value.get_string().get(p)) return fail(ErrorCode::InvalidJson, "Bad `priority`.");
      req.priority = std::string(p);
      const std::size_t begin = static_cast<std::size_t>(raw.data() - body.data());
      std::size_t end = begin + 1;  // past the closing quote of the string token
      while (end < size && body[end] != '"') end += body[end] == '\\' ? 2 : 1;  // skip escapes
      priority_span = {begin, end + 1};
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
  if (priority_span) erase_member(body, priority_span->first, priority_span->second);
  req.upstream_body = std::move(body);
  return req;
}

}  // namespace sy::api
