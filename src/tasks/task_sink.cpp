#include "tasks/task_sink.hpp"

#include "common/json_writer.hpp"
#include "tasks/error_envelope.hpp"
#include "tasks/task_encoder.hpp"

namespace sy::tasks {

TaskSink::TaskSink(Task& task, std::int64_t (*clock_unix_ms)() noexcept)
    : task_(task), clock_unix_ms_(clock_unix_ms) {}

void TaskSink::cancel() {
  if (task_.finished()) return;
  canceled_ = true;
  const std::int64_t now = clock_unix_ms_();
  append_end(now, true);
  task_.finish(TaskState::Canceled, now,
               Error{ErrorCode::Canceled, "The task was canceled.", {}, 0});
  task_.notify();
  // Closes the engine connection (or wakes the admission wait) now, not at the next read.
  if (listener_ != nullptr) listener_->client_gone();
}

void TaskSink::append_end(std::int64_t now, bool canceled) {
  // decode_ms: llama-orch's older name of decode_time_ms, sent too for its clients.
  const std::int64_t decode_ms =
      task_.started_unix_ms() != 0 ? now - task_.started_unix_ms() : std::int64_t{0};
  scratch_.clear();
  JsonWriter w(scratch_);
  w.begin_object()
      .field("tokens_out", task_.tokens_out())
      .field("decode_time_ms", decode_ms)
      .field("decode_ms", decode_ms);
  if (canceled) w.field("canceled", true);
  w.end_object();
  task_.log().append("end", scratch_);
}

void TaskSink::ensure_finished() {
  if (!task_.finished())
    fail(Error{ErrorCode::Internal, "The task ended without a result.", {}, 0});
  std::string().swap(scratch_);  // the task writes no more frames
}

void TaskSink::fail(const Error& error) {
  if (task_.finished()) return;
  scratch_.clear();
  append_error_envelope(scratch_, error);
  task_.log().append("error", scratch_);
  task_.finish(TaskState::Failed, clock_unix_ms_(), error);
  task_.notify();
}

boost::asio::awaitable<bool> TaskSink::send_answer(int status, std::string_view /*content_type*/,
                                                   std::string_view /*body*/,
                                                   std::string_view /*retry_after*/) {
  // A whole answer instead of a stream: the engine refused (its status) or did not stream.
  fail(Error{status >= 500 ? ErrorCode::UpstreamError : ErrorCode::InvalidParams,
             "The engine answered with status " + std::to_string(status) + " instead of a stream.",
             {},
             0});
  co_return true;
}

boost::asio::awaitable<bool> TaskSink::send_error(const Error& error) {
  fail(error);
  co_return true;
}

boost::asio::awaitable<bool> TaskSink::open_stream() {
  stream_open_ = true;
  co_return true;
}

boost::asio::awaitable<bool> TaskSink::send_events(std::string_view records) {
  if (!task_.finished() && !records.empty()) {
    append_records(records);
    task_.notify();
  }
  co_return !canceled_;
}

boost::asio::awaitable<bool> TaskSink::end_stream(std::string_view records) {
  if (task_.finished()) co_return !canceled_;
  if (!append_records(records)) {
    const std::int64_t now = clock_unix_ms_();
    append_end(now, false);
    task_.finish(TaskState::Completed, now);
  }
  task_.notify();
  co_return true;
}

bool TaskSink::append_records(std::string_view records) {
  bool failed = false;
  for_each_record(records, [&](std::string_view event, std::string_view data) {
    if (task_.finished()) return;
    task_.log().append(event, data);
    if (event == "token") {
      task_.count_token();
    } else if (event == "error") {
      failed = true;
      task_.finish(
          TaskState::Failed, clock_unix_ms_(),
          stream_error_.value_or(Error{
              ErrorCode::UpstreamError, "The engine reported an error during the stream.", {}, 0}));
    }
  });
  return failed;
}

std::unique_ptr<encoders::StreamEncoder> TaskSink::make_encoder(
    engines::WireShape /*client*/, engines::WireShape /*engine*/,
    encoders::ChunkIdentity /*identity*/) {
  return std::make_unique<TaskEncoder>();
}

void TaskSink::append_queue_position(std::string& out, std::size_t position,
                                     std::uint64_t predicted_start_ms) {
  // The native API counts places from 1 for a queued task (0 is a task that starts now).
  task_.set_queue_position(position + 1);
  task_.set_predicted_start_ms(predicted_start_ms);
  scratch_.clear();
  JsonWriter(scratch_)
      .begin_object()
      .field("queue_position", static_cast<std::uint64_t>(position + 1))
      .field("predicted_start_ms", predicted_start_ms)
      .end_object();
  append_record(out, "metrics", scratch_);
}

void TaskSink::append_stream_error(std::string& out, const Error& error) {
  stream_error_ = error;
  scratch_.clear();
  append_error_envelope(scratch_, error);
  append_record(out, "error", scratch_);
}

void TaskSink::append_end_after_error(std::string& /*out*/) {}  // the error frame is terminal

void TaskSink::append_answer_event(std::string& out, int status, std::string_view /*body*/) {
  append_stream_error(
      out,
      Error{status >= 500 ? ErrorCode::UpstreamError : ErrorCode::InvalidParams,
            "The engine answered with status " + std::to_string(status) + " instead of a stream.",
            {},
            0});
}

void TaskSink::placed(std::string_view pool_id, std::string_view replica_id) {
  if (task_.state() != TaskState::Queued) return;  // a retry: started was sent
  const std::uint64_t position = task_.queue_position().value_or(0);
  task_.set_started(pool_id, replica_id, clock_unix_ms_());
  scratch_.clear();
  JsonWriter(scratch_)
      .begin_object()
      .field("queue_position", position)
      .field("predicted_start_ms", task_.predicted_start_ms())
      .field("pool_id", pool_id)
      .field("replica_id", replica_id)
      .end_object();
  task_.log().append("started", scratch_);
  task_.notify();
}

void TaskSink::mark_gone() noexcept {
  // A task has no client connection to lose; the pipeline calls this when a write failed, which
  // for a task cannot happen. Kept consistent: gone means canceled.
  canceled_ = true;
  if (listener_ != nullptr) listener_->client_gone();
}

}  // namespace sy::tasks
