#pragma once
// Task: one native task on its home I/O thread: what was asked, where it stands, its frames, and
// the followers waiting for more. The task's sink (task_sink.hpp) writes it; the routes read it.
//
// A task lives on the I/O thread that accepted it, and everything about it happens there
// (requests for it that arrive on another thread are handed over: http/task_routes.cpp), so it
// needs no lock. Followers wait on an Asio timer each, which notify() cancels.
// Thread: the task's home I/O thread.

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "tasks/frame_log.hpp"
#include "tasks/task_request.hpp"

namespace sy::tasks {

enum class TaskState : std::uint8_t { Queued, Running, Completed, Failed, Canceled };
[[nodiscard]] std::string_view state_name(TaskState state) noexcept;

class Task {
 public:
  Task(std::string id, TaskRequest request, FrameLogLimits limits, std::int64_t created_unix_ms)
      : id_(std::move(id)),
        request_(std::move(request)),
        frames_(limits),
        created_unix_ms_(created_unix_ms) {}

  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  [[nodiscard]] const TaskRequest& request() const noexcept { return request_; }
  [[nodiscard]] TaskState state() const noexcept { return state_; }
  [[nodiscard]] bool finished() const noexcept { return state_ >= TaskState::Completed; }
  [[nodiscard]] const FrameLog& frames() const noexcept { return frames_; }

  // ---- written by the task's sink ----
  FrameLog& log() noexcept { return frames_; }
  void set_queue_position(std::size_t position) noexcept { queue_position_ = position; }
  // What admission predicted (the 202's predicted_start_ms), repeated in `started`.
  void set_predicted_start_ms(std::uint64_t ms) noexcept { predicted_start_ms_ = ms; }
  [[nodiscard]] std::uint64_t predicted_start_ms() const noexcept { return predicted_start_ms_; }
  void set_started(std::string_view pool_id, std::string_view replica_id, std::int64_t unix_ms);
  void count_token() noexcept { ++tokens_out_; }
  // Ends the task in `state` (Completed, Failed or Canceled); `error` for Failed.
  void finish(TaskState state, std::int64_t unix_ms, std::optional<Error> error = std::nullopt);
  // Wakes every follower (after frames were appended or the state changed).
  void notify();

  // ---- followers ----
  void add_waiter(boost::asio::steady_timer* waiter) { waiters_.push_back(waiter); }
  void remove_waiter(boost::asio::steady_timer* waiter) noexcept;

  // What GET /v1/tasks/{id} answers (api/openapi.yaml, TaskStatus), as JSON.
  void append_status(std::string& out) const;

  [[nodiscard]] std::optional<std::size_t> queue_position() const noexcept {
    return state_ == TaskState::Queued ? queue_position_ : std::nullopt;
  }
  [[nodiscard]] std::uint64_t tokens_out() const noexcept { return tokens_out_; }
  [[nodiscard]] std::int64_t started_unix_ms() const noexcept { return started_unix_ms_; }
  [[nodiscard]] const std::optional<Error>& error() const noexcept { return error_; }

 private:
  std::string id_;
  TaskRequest request_;
  FrameLog frames_;
  TaskState state_ = TaskState::Queued;
  std::optional<std::size_t> queue_position_;  // known once admission placed it in a queue
  std::string pool_id_;
  std::string replica_id_;
  std::int64_t created_unix_ms_ = 0;
  std::int64_t started_unix_ms_ = 0;
  std::int64_t ended_unix_ms_ = 0;
  std::uint64_t tokens_out_ = 0;
  std::uint64_t predicted_start_ms_ = 0;
  std::optional<Error> error_;
  std::vector<boost::asio::steady_timer*> waiters_;
};

}  // namespace sy::tasks
