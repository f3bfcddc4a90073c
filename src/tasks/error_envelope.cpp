#include "tasks/error_envelope.hpp"

#include "common/json_writer.hpp"

namespace sy::tasks {

void append_error_envelope(std::string& out, const Error& error, const ErrorContext& context) {
  const ErrorInfo& info = error.info();
  JsonWriter w(out);
  w.begin_object().field("code", info.native).field("message", std::string_view(error.message));
  if (!error.param.empty()) w.field("param", std::string_view(error.param));
  if (!context.engine.empty()) w.field("engine", context.engine);
  if (!context.pool_id.empty()) w.field("pool_id", context.pool_id);
  w.field("retriable", info.retriable);
  if (error.retry_after_ms > 0) {
    w.field("retry_after_ms", static_cast<std::uint64_t>(error.retry_after_ms));
  }
  std::string_view policy = context.policy_label;
  if (policy.empty() && info.http_status == 429) policy = "reject";  // required on a 429
  if (!policy.empty()) w.field("policy_label", policy);
  w.end_object();
}

}  // namespace sy::tasks
