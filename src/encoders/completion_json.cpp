#include "encoders/completion_json.hpp"

namespace sy::encoders {

void begin_text_completion(JsonWriter& w, const ChunkIdentity& identity) {
  w.begin_object()
      .field("id", std::string_view(identity.id))
      .field("object", std::string_view("text_completion"))
      .field("created", identity.created_unix_s)
      .field("model", std::string_view(identity.model));
}

void write_usage(JsonWriter& w, const engines::TokenUsage& usage) {
  w.key("usage")
      .begin_object()
      .field("prompt_tokens", usage.prompt_tokens)
      .field("completion_tokens", usage.completion_tokens)
      .field("total_tokens", usage.prompt_tokens + usage.completion_tokens)
      .end_object();
}

void write_text_choice(JsonWriter& w, std::string_view text, std::string_view finish_reason) {
  w.key("choices").begin_array().begin_object();
  w.key("text").raw(text.empty() ? std::string_view("\"\"") : text);
  w.field("index", 0).key("logprobs").null();
  if (finish_reason.empty()) {
    w.key("finish_reason").null();
  } else {
    w.key("finish_reason").raw(finish_reason);
  }
  w.end_object().end_array();
}

}  // namespace sy::encoders
