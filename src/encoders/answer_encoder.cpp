#include "encoders/answer_encoder.hpp"

#include "encoders/completion_json.hpp"

namespace sy::encoders {

Result<std::string> encode_answer(engines::WireShape client, engines::WireShape engine,
                                  const engines::EngineAnswer& answer,
                                  const ChunkIdentity& identity) {
  if (client == engine) return std::string(answer.raw);
  if (!answer.readable) {
    return fail(ErrorCode::UpstreamError, "The engine's answer is not valid JSON.");
  }
  std::string out;
  JsonWriter w(out);
  begin_text_completion(w, identity);
  write_text_choice(w, answer.text, answer.finish_reason);
  write_usage(w, answer.usage);
  w.end_object();
  return out;
}

}  // namespace sy::encoders
