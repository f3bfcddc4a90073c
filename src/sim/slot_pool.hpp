#pragma once
// SlotPool: the simulator's generation slots. A request takes a free slot at once or waits in
// FIFO order; release() hands the slot straight to the oldest waiter. One pool is shared by all
// worker threads: every member is thread-safe (one mutex, taken a few times per request, never per
// token). A waiter sleeps on a timer bound to its own worker's executor; the releasing thread wakes
// it by posting a cancel to that executor.
//
// Usage (inside a coroutine on a worker executor):
//   SlotLease lease;
//   std::shared_ptr<SlotWaiter> waiter;
//   switch (pool.admit(lease, waiter, executor)) { Granted: ..., Queued: ..., Rejected: ... }
//   if queued: co_await (SlotPool::wait(waiter) || watch_peer()); pool.finish_wait(*waiter, lease);
// A wait that is cancelled (its client left) leaves the queue in finish_wait; a slot granted in the
// same instant is still put in the lease, whose destructor returns it.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

namespace sy::sim {

class SlotPool;
struct SlotWaiter;

// Holds one slot; returns it to the pool on destruction or reset(). Move-only; used on one thread.
class SlotLease {
 public:
  SlotLease() = default;
  SlotLease(const SlotLease&) = delete;
  SlotLease& operator=(const SlotLease&) = delete;
  ~SlotLease() { reset(); }

  [[nodiscard]] bool held() const noexcept { return slot_ >= 0; }
  [[nodiscard]] int slot() const noexcept { return slot_; }
  void reset() noexcept;

 private:
  friend class SlotPool;
  SlotPool* pool_ = nullptr;
  int slot_ = -1;
};

class SlotPool {
 public:
  enum class Admission { Granted, Queued, Rejected, Closed };
  struct Gauges {
    std::uint64_t active = 0;
    std::uint64_t waiting = 0;
    std::uint64_t max_active = 0;
  };

  SlotPool(int slots, std::int64_t max_waiting);
  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;
  ~SlotPool();

  // Granted: `lease` holds a slot. Queued: `waiter` is set; await wait() then call finish_wait().
  // Rejected: max_waiting requests already wait. Closed: the pool is shutting down.
  [[nodiscard]] Admission admit(SlotLease& lease, std::shared_ptr<SlotWaiter>& waiter,
                                const boost::asio::any_io_executor& executor);

  // Completes when the waiter is granted a slot, the pool closes, or the awaiting coroutine is
  // cancelled. Never throws for those outcomes.
  static boost::asio::awaitable<void> wait(std::shared_ptr<SlotWaiter> waiter);

  // Ends a wait: moves a granted slot into `lease` (returns true) or leaves the queue.
  bool finish_wait(SlotWaiter& waiter, SlotLease& lease);

  // Refuses new admissions and forgets waiters. Call only after every worker io_context has
  // stopped (it posts nothing).
  void close();

  [[nodiscard]] Gauges gauges() const noexcept;
  // max_active restarts from the current number of active slots (for /sim/reset).
  void reset_max_active() noexcept;

 private:
  friend class SlotLease;
  void release(int slot) noexcept;
  void take_free_slot(SlotLease& lease);  // mutex_ held

  mutable std::mutex mutex_;
  std::vector<int> free_;                         // guarded by mutex_
  std::list<std::shared_ptr<SlotWaiter>> queue_;  // guarded by mutex_
  std::int64_t max_waiting_;
  bool closed_ = false;                       // guarded by mutex_
  std::atomic<std::uint64_t> active_{0};      // written under mutex_
  std::atomic<std::uint64_t> waiting_{0};     // written under mutex_
  std::atomic<std::uint64_t> max_active_{0};  // written under mutex_
};

}  // namespace sy::sim
