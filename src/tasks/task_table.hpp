#pragma once
// TaskTable: the tasks at home on one I/O thread, each with its sink (TaskRun), kept until their
// retention ends after the terminal frame; then forgotten here and in the TaskDirectory.
// Followers and the task's runner hold a TaskRun by shared_ptr, so forgetting a task that is
// still being read is safe.
// Thread: the table's I/O thread.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/clock.hpp"
#include "relay/request_info.hpp"
#include "relay/thread_timers.hpp"
#include "tasks/task.hpp"
#include "tasks/task_directory.hpp"
#include "tasks/task_sink.hpp"

namespace sy::tasks {

class TaskTable;

struct TaskLimits {
  FrameLogLimits frames;
  Millis retention{60'000};  // how long a finished task's frames and status are kept
};

// A task, its sink, and the end of its retention.
class TaskRun {
 public:
  TaskRun(TaskTable& table, std::string id, TaskRequest request, FrameLogLimits limits,
          std::int64_t (*clock_unix_ms)() noexcept)
      : task(std::move(id), std::move(request), limits, clock_unix_ms()),
        sink(task, clock_unix_ms),
        retention(table, *this) {}

  Task task;
  TaskSink sink;
  relay::RequestInfo info;  // what the pipeline knows of the request (from POST /v1/tasks)

  // When it fires, the table forgets the task (which may destroy this object: expired() touches
  // nothing after that).
  class RetentionEnd final : public relay::ThreadTimers::Entry {
   public:
    RetentionEnd(TaskTable& table, const TaskRun& run) : table_(table), run_(run) {}
    ~RetentionEnd() override = default;

   private:
    void expired(TimePoint now) override;
    TaskTable& table_;
    const TaskRun& run_;
  } retention;
};

class TaskTable {
 public:
  TaskTable(TaskDirectory& directory, relay::ThreadTimers& timers, TaskLimits limits,
            std::int64_t (*clock_unix_ms)() noexcept)
      : directory_(directory), timers_(timers), limits_(limits), clock_(clock_unix_ms) {}

  // A new task under `id` (already reserved in the directory for this thread).
  std::shared_ptr<TaskRun> create(std::string id, TaskRequest request);
  [[nodiscard]] std::shared_ptr<TaskRun> find(const std::string& id) const;
  // Starts the retention of a finished task.
  void retain(TaskRun& run);
  // Forgets the task `id` here and in the directory, if `run` is still the one under that id
  // (by value: the caller's string may be the task's own).
  void forget(std::string id, const TaskRun* run);
  [[nodiscard]] std::size_t size() const noexcept { return runs_.size(); }
  [[nodiscard]] const TaskLimits& limits() const noexcept { return limits_; }

 private:
  TaskDirectory& directory_;
  relay::ThreadTimers& timers_;
  TaskLimits limits_;
  std::int64_t (*clock_)() noexcept;
  std::unordered_map<std::string, std::shared_ptr<TaskRun>> runs_;
};

}  // namespace sy::tasks
