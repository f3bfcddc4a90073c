#pragma once
// TaskDirectory: which I/O thread is home to each task, for every thread to look up. A task id is
// reserved here before its 202, so two threads cannot accept the same client-chosen id, and
// forgotten when the task's retention ends. The directory also bounds how many tasks the server
// holds (queued, running and retained together).
// Thread: any; a mutex guards the map (taken per task request, never per token).

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sy::tasks {

class TaskDirectory {
 public:
  explicit TaskDirectory(std::size_t max_tasks) : max_tasks_(max_tasks) {}
  // Before the I/O threads start (the configuration's tasks.max_tasks).
  void set_max_tasks(std::size_t max_tasks) {
    const std::lock_guard<std::mutex> lock(mu_);
    max_tasks_ = max_tasks;
  }

  enum class Reserve : std::uint8_t { Ok, Exists, Full };
  // Reserves `id` for the thread `home`.
  Reserve reserve(const std::string& id, std::uint32_t home) {
    const std::lock_guard<std::mutex> lock(mu_);
    if (homes_.size() >= max_tasks_) return homes_.contains(id) ? Reserve::Exists : Reserve::Full;
    return homes_.emplace(id, home).second ? Reserve::Ok : Reserve::Exists;
  }
  [[nodiscard]] std::optional<std::uint32_t> home_of(const std::string& id) const {
    const std::lock_guard<std::mutex> lock(mu_);
    const auto it = homes_.find(id);
    if (it == homes_.end()) return std::nullopt;
    return it->second;
  }
  void forget(const std::string& id) {
    const std::lock_guard<std::mutex> lock(mu_);
    homes_.erase(id);
  }
  [[nodiscard]] std::size_t size() const {
    const std::lock_guard<std::mutex> lock(mu_);
    return homes_.size();
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::uint32_t> homes_;
  std::size_t max_tasks_;
};

}  // namespace sy::tasks
