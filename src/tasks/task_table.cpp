#include "tasks/task_table.hpp"

namespace sy::tasks {

void TaskRun::RetentionEnd::expired(TimePoint /*now*/) { table_.forget(run_.task.id(), &run_); }

std::shared_ptr<TaskRun> TaskTable::create(std::string id, TaskRequest request) {
  auto run = std::make_shared<TaskRun>(*this, id, std::move(request), limits_.frames, clock_);
  runs_[std::move(id)] = run;
  return run;
}

std::shared_ptr<TaskRun> TaskTable::find(const std::string& id) const {
  const auto it = runs_.find(id);
  return it == runs_.end() ? nullptr : it->second;
}

void TaskTable::retain(TaskRun& run) {
  timers_.schedule(run.retention, Clock::now() + limits_.retention);
}

void TaskTable::forget(std::string id, const TaskRun* run) {
  const auto it = runs_.find(id);
  if (it == runs_.end() || it->second.get() != run) return;
  it->second->retention.cancel();
  runs_.erase(it);  // may destroy the TaskRun (and the RetentionEnd that called this)
  directory_.forget(id);
}

}  // namespace sy::tasks
