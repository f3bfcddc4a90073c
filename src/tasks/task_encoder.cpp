#include "tasks/task_encoder.hpp"

#include <charconv>

#include "tasks/error_envelope.hpp"

namespace sy::tasks {

void append_record(std::string& out, std::string_view event, std::string_view data) {
  out.append(event);
  out.push_back('\t');
  out.append(data);
  out.push_back('\n');
}

void TaskEncoder::encode(const engines::EngineEvent& event, std::string& out) {
  if (event.status != engines::EventStatus::Ok) {
    const Error error{ErrorCode::UpstreamError,
                      event.status == engines::EventStatus::EngineError
                          ? "The engine reported an error during the stream."
                          : "The engine sent an event that cannot be read.",
                      {},
                      0};
    out.append("error\t");
    append_error_envelope(out, error);
    out.push_back('\n');
    return;
  }
  if (!event.has_text()) return;
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, next_index_++);
  (void)ec;  // 24 digits hold any uint64
  out.append("token\t{\"t\":");
  out.append(event.text);
  out.append(",\"i\":");
  out.append(digits, static_cast<std::size_t>(end - digits));
  out.append("}\n");
}

}  // namespace sy::tasks
