#include "tasks/task.hpp"

#include <algorithm>

#include "common/json_writer.hpp"
#include "tasks/error_envelope.hpp"

namespace sy::tasks {

std::string_view state_name(TaskState state) noexcept {
  switch (state) {
    case TaskState::Queued:
      return "queued";
    case TaskState::Running:
      return "running";
    case TaskState::Completed:
      return "completed";
    case TaskState::Failed:
      return "failed";
    case TaskState::Canceled:
      return "canceled";
  }
  return "failed";
}

void Task::set_started(std::string_view pool_id, std::string_view replica_id,
                       std::int64_t unix_ms) {
  if (state_ != TaskState::Queued) return;
  state_ = TaskState::Running;
  pool_id_ = std::string(pool_id);
  replica_id_ = std::string(replica_id);
  started_unix_ms_ = unix_ms;
}

void Task::finish(TaskState state, std::int64_t unix_ms, std::optional<Error> error) {
  if (finished()) return;
  state_ = state;
  ended_unix_ms_ = unix_ms;
  error_ = std::move(error);
  frames_.end();
  // A finished task is kept for its status and frames only: its prompt is not needed again.
  request_.prompt = std::string();
  request_.inputs = std::vector<std::string>();
}

void Task::notify() {
  for (boost::asio::steady_timer* w : waiters_) w->cancel();
}

void Task::remove_waiter(boost::asio::steady_timer* waiter) noexcept {
  waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), waiter), waiters_.end());
}

void Task::append_status(std::string& out) const {
  JsonWriter w(out);
  w.begin_object().field("task_id", std::string_view(id_));
  if (!request_.session_id.empty()) w.field("session_id", std::string_view(request_.session_id));
  w.field("model_ref", std::string_view(request_.model_ref)).field("state", state_name(state_));
  if (const auto position = queue_position()) {
    w.field("queue_position", static_cast<std::uint64_t>(*position));
  }
  if (!pool_id_.empty()) w.field("pool_id", std::string_view(pool_id_));
  if (!replica_id_.empty()) w.field("replica_id", std::string_view(replica_id_));
  w.field("created_ms", created_unix_ms_);
  if (started_unix_ms_ != 0) w.field("started_ms", started_unix_ms_);
  if (ended_unix_ms_ != 0) w.field("ended_ms", ended_unix_ms_);
  w.field("tokens_out", tokens_out_);
  if (started_unix_ms_ != 0 && ended_unix_ms_ != 0) {
    w.field("decode_time_ms", ended_unix_ms_ - started_unix_ms_);
  }
  if (error_) {
    w.key("error");
    std::string envelope;
    append_error_envelope(envelope, *error_);
    w.raw(envelope);
  }
  w.end_object();
}

}  // namespace sy::tasks
