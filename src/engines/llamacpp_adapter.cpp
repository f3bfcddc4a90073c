#include "engines/llamacpp_adapter.hpp"

#include "common/json_scan.hpp"
#include "engines/openai_adapter.hpp"

namespace sy::engines {

namespace {

// The members of one llama.cpp object that Switchyard reads; views into the object's text.
struct Fields {
  std::string_view content;  // string token, or ""
  bool stop = false;
  std::string_view stop_type;  // string token, or ""
  std::uint64_t tokens_predicted = 0;
  std::uint64_t tokens_evaluated = 0;
};

bool is_object(std::string_view json) noexcept {
  for (const char c : json) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return c == '{';
  }
  return false;
}

// False when `json` is not a JSON object.
bool read_fields(std::string_view json, Fields& f) noexcept {
  if (!is_object(json) || !json::validate(json).ok()) return false;
  json::MemberCursor cursor(json);
  json::RawMember m;
  while (cursor.next(m)) {
    const bool string_value = m.value.front() == '"';
    if (json::key_is(m.raw_key, "content")) {
      f.content = string_value ? m.value : std::string_view();
    } else if (json::key_is(m.raw_key, "stop")) {
      f.stop = m.value == "true";
    } else if (json::key_is(m.raw_key, "stop_type")) {
      f.stop_type = string_value ? m.value : std::string_view();
    } else if (json::key_is(m.raw_key, "tokens_predicted")) {
      f.tokens_predicted = json::uint_token(m.value).value_or(0);
    } else if (json::key_is(m.raw_key, "tokens_evaluated")) {
      f.tokens_evaluated = json::uint_token(m.value).value_or(0);
    }
  }
  return true;
}

// llama.cpp says "limit" when n_predict ran out, "eos" or "word" when generation stopped.
std::string_view finish_reason_of(std::string_view stop_type) noexcept {
  return stop_type == "\"limit\"" ? std::string_view("\"length\"") : std::string_view("\"stop\"");
}

}  // namespace

EngineEvent decode_llamacpp_event(const sse::Event& event) noexcept {
  EngineEvent ev;
  ev.raw = event.data;
  ev.name = event.event;
  if (is_error_object(event.data)) {
    ev.status = EventStatus::EngineError;
    return ev;
  }
  Fields f;
  if (!read_fields(event.data, f)) {
    ev.status = EventStatus::Malformed;
    return ev;
  }
  ev.text = f.content;
  if (f.stop) {
    ev.end = true;
    ev.finish_reason = finish_reason_of(f.stop_type);
    ev.usage = TokenUsage{f.tokens_evaluated, f.tokens_predicted, true};
  }
  return ev;
}

EngineAnswer decode_llamacpp_answer(std::string_view body) noexcept {
  EngineAnswer answer;
  answer.raw = body;
  Fields f;
  if (!read_fields(body, f)) {
    answer.readable = false;
    return answer;
  }
  answer.text = f.content;
  answer.finish_reason = finish_reason_of(f.stop_type);
  answer.usage = TokenUsage{f.tokens_evaluated, f.tokens_predicted, true};
  return answer;
}

}  // namespace sy::engines
