#pragma once
// SnapshotCell<T>: hands immutable snapshots from one writer to many reader threads.
//
// The writer publishes under a mutex and then bumps an atomic version. Each reader thread keeps a
// Reader, a cached copy: a read is one atomic load of the version, and only when the version has
// moved (a rare event: a health change) does the reader take the mutex to copy the new pointer.
// So the data path never waits on a lock, and the synchronisation is plain mutex + acquire/release
// that sanitizers understand (std::atomic<std::shared_ptr> in libstdc++ 12 is neither lock-free
// nor ThreadSanitizer-clean).
//
// Thread: publish() and load() from any thread; a Reader belongs to one thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

namespace sy {

template <typename T>
class SnapshotCell {
 public:
  SnapshotCell() = default;
  SnapshotCell(const SnapshotCell&) = delete;
  SnapshotCell& operator=(const SnapshotCell&) = delete;

  void publish(std::shared_ptr<const T> next) {
    {
      std::lock_guard lock(mutex_);
      current_ = std::move(next);
      ++version_seen_by_writer_;
    }
    version_.store(version_seen_by_writer_, std::memory_order_release);
  }

  // Takes the mutex: for callers off the data path (the writer itself, tests).
  [[nodiscard]] std::shared_ptr<const T> load() const {
    std::lock_guard lock(mutex_);
    return current_;
  }

  class Reader {
   public:
    // The latest snapshot, as a counted copy the caller may keep across suspensions.
    [[nodiscard]] std::shared_ptr<const T> get(const SnapshotCell& cell) {
      const std::uint64_t v = cell.version_.load(std::memory_order_acquire);
      if (v != seen_ || !cached_) {
        std::lock_guard lock(cell.mutex_);
        cached_ = cell.current_;
        seen_ = cell.version_seen_by_writer_;
      }
      return cached_;
    }

   private:
    std::shared_ptr<const T> cached_;
    std::uint64_t seen_ = 0;
  };

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> current_;          // guarded by mutex_
  std::uint64_t version_seen_by_writer_ = 0;  // guarded by mutex_
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace sy
