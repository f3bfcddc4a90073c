#include "encoders/completions_sse_encoder.hpp"

#include "api/error_body.hpp"
#include "encoders/completion_json.hpp"
#include "sse/sse_writer.hpp"

namespace sy::encoders {

void CompletionsSseEncoder::encode(const engines::EngineEvent& event, std::string& out) {
  switch (event.status) {
    case engines::EventStatus::EngineError:
      sse::append_data_event(out, event.raw);  // already OpenAI's {"error":{...}} shape
      return;
    case engines::EventStatus::Malformed:
      scratch_.clear();
      api::append_error_body(
          scratch_,
          Error{
              ErrorCode::UpstreamError, "The engine sent a chunk that is not valid JSON.", {}, 0});
      sse::append_data_event(out, scratch_);
      return;
    case engines::EventStatus::Ok:
      break;
  }
  if (event.has_text()) append_chunk(out, event.text, {});
  if (!event.end) return;
  append_chunk(out, {}, event.finish_reason.empty() ? "\"stop\"" : event.finish_reason);
  if (identity_.include_usage) append_usage(out, event.usage);
  sse::append_done(out);
}

void CompletionsSseEncoder::append_chunk(std::string& out, std::string_view text,
                                         std::string_view finish_reason) {
  scratch_.clear();
  JsonWriter w(scratch_);
  begin_text_completion(w, identity_);
  write_text_choice(w, text, finish_reason);
  w.end_object();
  sse::append_data_event(out, scratch_);
}

void CompletionsSseEncoder::append_usage(std::string& out, const engines::TokenUsage& usage) {
  scratch_.clear();
  JsonWriter w(scratch_);
  begin_text_completion(w, identity_);
  w.key("choices").begin_array().end_array();
  write_usage(w, usage);
  w.end_object();
  sse::append_data_event(out, scratch_);
}

}  // namespace sy::encoders
