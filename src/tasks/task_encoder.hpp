#pragma once
// TaskEncoder: a task's engine events as task records for its sink (tasks/task_sink.hpp), which
// numbers them as frames of the task's FrameLog.
//
// A record is `<event>\t<data>\n`: the frame's event name, a tab, its data (one line of JSON).
// The data never holds a newline (SSE data lines cannot), so records split unambiguously.
// A token is `token {"t": <the engine's text token, as sent>, "i": <index>}`: the engine's JSON
// string is copied, not re-escaped. The terminal frames (end, error after the stream) are the
// sink's: it knows the task's timings.
//
// On the relay's hot path: encode() appends to the caller's buffer and allocates nothing.

#include <cstdint>
#include <string>
#include <string_view>

#include "encoders/stream_encoder.hpp"

namespace sy::tasks {

// Appends one record.
void append_record(std::string& out, std::string_view event, std::string_view data);

// Calls f(event, data) for each whole record in `records`.
template <typename F>
void for_each_record(std::string_view records, F&& f) {
  while (!records.empty()) {
    const std::size_t nl = records.find('\n');
    const std::string_view record = records.substr(0, nl);
    const std::size_t tab = record.find('\t');
    if (tab != std::string_view::npos) f(record.substr(0, tab), record.substr(tab + 1));
    if (nl == std::string_view::npos) break;
    records.remove_prefix(nl + 1);
  }
}

class TaskEncoder final : public encoders::StreamEncoder {
 public:
  void encode(const engines::EngineEvent& event, std::string& out) override;
  // Tokens encoded so far (the next token's index).
  [[nodiscard]] std::uint64_t tokens() const noexcept { return next_index_; }

 private:
  std::uint64_t next_index_ = 0;
};

}  // namespace sy::tasks
