#include "engines/stream_translator.hpp"

#include <simdjson.h>

#include <ctime>

#include "common/json_writer.hpp"
#include "sse/sse_writer.hpp"

namespace sy::engines {

namespace {

// Finds the member key `"<tail>` where `tail` is the key's text after its opening quote (e.g.
// `content":`), from `from`. Searching for the tail rather than for `"content"` matters on the
// relay's hot path: std::string_view::find jumps between occurrences of the needle's first byte
// with memchr, and a chunk has dozens of quotes but few 'c's or 'u's. Tails end in `":`, which
// only a key can produce: inside a string a quote is escaped, and a value's closing quote is
// followed by `,` `}` `]` or space, never by a colon.
std::size_t find_key(std::string_view json, std::string_view tail, std::size_t from) noexcept {
  for (std::size_t pos = json.find(tail, from); pos != std::string_view::npos;
       pos = json.find(tail, pos + 1)) {
    if (pos > 0 && json[pos - 1] == '"') return pos - 1;
  }
  return std::string_view::npos;
}

}  // namespace

bool chunk_has_content(std::string_view json) noexcept {
  for (std::string_view tail : {std::string_view("content\":"), std::string_view("text\":")}) {
    std::size_t pos = 0;
    while ((pos = find_key(json, tail, pos)) != std::string_view::npos) {
      pos += tail.size() + 1;
      while (pos < json.size() && json[pos] == ' ') ++pos;
      if (pos + 1 < json.size() && json[pos] == '"' && json[pos + 1] != '"') return true;
    }
  }
  return false;
}

bool has_usage_member(std::string_view json) noexcept {
  return find_key(json, "usage\":", 0) != std::string_view::npos;
}

std::uint64_t scan_uint_member(std::string_view json, std::string_view name) noexcept {
  std::size_t pos = 0;
  while ((pos = json.find(name, pos)) != std::string_view::npos) {
    const bool quoted = pos > 0 && json[pos - 1] == '"' && pos + name.size() < json.size() &&
                        json[pos + name.size()] == '"';
    pos += name.size();
    if (!quoted) continue;
    ++pos;  // closing quote
    while (pos < json.size() && (json[pos] == ' ' || json[pos] == ':')) ++pos;
    std::uint64_t v = 0;
    bool any = false;
    while (pos < json.size() && json[pos] >= '0' && json[pos] <= '9') {
      v = v * 10 + static_cast<std::uint64_t>(json[pos] - '0');
      ++pos;
      any = true;
    }
    if (any) return v;
  }
  return 0;
}

namespace {

bool is_error_object(std::string_view data) noexcept {
  std::size_t i = 0;
  while (i < data.size() && (data[i] == ' ' || data[i] == '\n')) ++i;
  return data.substr(i, 9) == "{\"error\":" || data.substr(i, 10) == "{\"error\" :";
}

// OpenAI-compatible engines: events pass through byte for byte; we only look at them.
class OpenAIPassThrough final : public StreamTranslator {
 public:
  EventResult on_event(const sse::Event& event, std::string& out) override {
    if (event.data == "[DONE]") {
      sse::append_done(out);
      return EventResult::Done;
    }
    if (event.event.empty() || event.event == "message") {
      sse::append_data_event(out, event.data);
    } else {
      sse::append_named_event(out, event.event, event.data);
    }
    if (is_error_object(event.data)) return EventResult::EngineError;
    if (chunk_has_content(event.data)) ++content_events_;
    if (has_usage_member(event.data)) {
      if (auto n = scan_uint_member(event.data, "completion_tokens")) usage_completion_tokens_ = n;
      if (auto n = scan_uint_member(event.data, "prompt_tokens")) usage_prompt_tokens_ = n;
    }
    return EventResult::Continue;
  }

  Result<std::string> translate_body(std::string_view body) override {
    usage_completion_tokens_ = scan_uint_member(body, "completion_tokens");
    usage_prompt_tokens_ = scan_uint_member(body, "prompt_tokens");
    return std::string(body);
  }
};

// llama.cpp's native /completion stream: {"content":"..","stop":false} per token, then a final
// {"stop":true,"stop_type":..,"tokens_predicted":..,"tokens_evaluated":..}; no [DONE].
class LlamaCppCompletion final : public StreamTranslator {
 public:
  LlamaCppCompletion(const api::CompletionRequest& request, std::string_view correlation_id)
      : model_(request.model),
        include_usage_(request.include_usage),
        created_(static_cast<std::int64_t>(std::time(nullptr))) {
    id_ = "cmpl-";
    id_ += correlation_id;
  }

  EventResult on_event(const sse::Event& event, std::string& out) override {
    if (is_error_object(event.data)) {
      sse::append_data_event(out, event.data);
      return EventResult::EngineError;
    }
    Fields f;
    if (!parse(event.data, f)) {
      scratch_.clear();
      JsonWriter(scratch_)
          .begin_object()
          .key("error")
          .begin_object()
          .field("message", std::string_view("The engine sent a chunk that is not valid JSON."))
          .field("type", std::string_view("server_error"))
          .key("param")
          .null()
          .field("code", std::string_view("upstream_error"))
          .end_object()
          .end_object();
      sse::append_data_event(out, scratch_);
      return EventResult::Malformed;
    }
    if (!f.content.empty()) {
      ++content_events_;
      append_chunk(out, f.content, {});
    }
    if (!f.stop) return EventResult::Continue;
    usage_completion_tokens_ = f.tokens_predicted;
    usage_prompt_tokens_ = f.tokens_evaluated;
    append_chunk(out, {}, f.stop_type == "limit" ? "length" : "stop");
    if (include_usage_) append_usage(out);
    sse::append_done(out);
    return EventResult::Done;
  }

  Result<std::string> translate_body(std::string_view body) override {
    Fields f;
    if (!parse(body, f))
      return fail(ErrorCode::UpstreamError, "The engine's answer is not valid JSON.");
    usage_completion_tokens_ = f.tokens_predicted;
    usage_prompt_tokens_ = f.tokens_evaluated;
    std::string out;
    JsonWriter w(out);
    w.begin_object()
        .field("id", std::string_view(id_))
        .field("object", std::string_view("text_completion"))
        .field("created", created_)
        .field("model", std::string_view(model_));
    w.key("choices")
        .begin_array()
        .begin_object()
        .field("text", f.content)
        .field("index", 0)
        .key("logprobs")
        .null()
        .field("finish_reason", std::string_view(f.stop_type == "limit" ? "length" : "stop"))
        .end_object()
        .end_array();
    write_usage(w);
    w.end_object();
    return out;
  }

 private:
  // Views into the thread's parser document: valid until the next parse().
  struct Fields {
    std::string_view content;
    bool stop = false;
    std::string_view stop_type;
    std::uint64_t tokens_predicted = 0;
    std::uint64_t tokens_evaluated = 0;
  };

  bool parse(std::string_view json, Fields& f) {
    padded_.assign(json.data(), json.size());
    padded_.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::dom::object obj;
    thread_local simdjson::dom::parser parser;
    if (parser.parse(padded_.data(), json.size(), false).get(obj)) return false;
    std::string_view s;
    if (!obj["content"].get_string().get(s)) f.content = s;
    bool b = false;
    if (!obj["stop"].get_bool().get(b)) f.stop = b;
    if (!obj["stop_type"].get_string().get(s)) f.stop_type = s;
    std::uint64_t n = 0;
    if (!obj["tokens_predicted"].get_uint64().get(n)) f.tokens_predicted = n;
    if (!obj["tokens_evaluated"].get_uint64().get(n)) f.tokens_evaluated = n;
    return true;
  }

  void append_chunk(std::string& out, std::string_view text, std::string_view finish_reason) {
    scratch_.clear();
    JsonWriter w(scratch_);
    w.begin_object()
        .field("id", std::string_view(id_))
        .field("object", std::string_view("text_completion"))
        .field("created", created_)
        .field("model", std::string_view(model_));
    w.key("choices").begin_array().begin_object().field("text", text).field("index", 0);
    w.key("logprobs").null();
    if (finish_reason.empty()) {
      w.key("finish_reason").null();
    } else {
      w.field("finish_reason", finish_reason);
    }
    w.end_object().end_array().end_object();
    sse::append_data_event(out, scratch_);
  }

  void write_usage(JsonWriter& w) {
    w.key("usage")
        .begin_object()
        .field("prompt_tokens", usage_prompt_tokens_)
        .field("completion_tokens", usage_completion_tokens_)
        .field("total_tokens", usage_prompt_tokens_ + usage_completion_tokens_)
        .end_object();
  }

  void append_usage(std::string& out) {
    scratch_.clear();
    JsonWriter w(scratch_);
    w.begin_object()
        .field("id", std::string_view(id_))
        .field("object", std::string_view("text_completion"))
        .field("created", created_)
        .field("model", std::string_view(model_));
    w.key("choices").begin_array().end_array();
    write_usage(w);
    w.end_object();
    sse::append_data_event(out, scratch_);
  }

  std::string id_;
  std::string model_;
  bool include_usage_;
  std::int64_t created_;
  std::string scratch_;
  std::string padded_;
};

}  // namespace

std::unique_ptr<StreamTranslator> make_stream_translator(Protocol protocol,
                                                         const api::CompletionRequest& request,
                                                         std::string_view correlation_id) {
  if (protocol == Protocol::LlamaCpp && request.kind == api::CompletionKind::Text) {
    return std::make_unique<LlamaCppCompletion>(request, correlation_id);
  }
  return std::make_unique<OpenAIPassThrough>();
}

}  // namespace sy::engines
