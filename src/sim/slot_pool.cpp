#include "sim/slot_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sy::sim {

namespace asio = boost::asio;

struct SlotWaiter {
  explicit SlotWaiter(const asio::any_io_executor& executor)
      : timer(executor, asio::steady_timer::time_point::max()) {}

  asio::steady_timer timer;  // touched only on its executor's thread
  // The rest is guarded by SlotPool::mutex_.
  std::list<std::shared_ptr<SlotWaiter>>::iterator position;
  bool queued = false;
  bool granted = false;
  bool closed = false;
  int slot = -1;
};

// noexcept: it runs in destructors. release() can only fail on a mutex error or on running out of
// memory in asio::post; neither leaves a state worth continuing from.
void SlotLease::reset() noexcept {  // NOLINT(bugprone-exception-escape)
  if (pool_ != nullptr && slot_ >= 0) pool_->release(slot_);
  pool_ = nullptr;
  slot_ = -1;
}

SlotPool::SlotPool(int slots, std::int64_t max_waiting) : max_waiting_(max_waiting) {
  free_.reserve(static_cast<std::size_t>(slots));
  // Lowest slot ids first, as engines number them.
  for (int i = slots - 1; i >= 0; --i) free_.push_back(i);
}

SlotPool::~SlotPool() = default;

void SlotPool::take_free_slot(SlotLease& lease) {
  lease.pool_ = this;
  lease.slot_ = free_.back();
  free_.pop_back();
  const auto active = active_.load(std::memory_order_relaxed) + 1;
  active_.store(active, std::memory_order_relaxed);
  if (active > max_active_.load(std::memory_order_relaxed)) {
    max_active_.store(active, std::memory_order_relaxed);
  }
}

SlotPool::Admission SlotPool::admit(SlotLease& lease, std::shared_ptr<SlotWaiter>& waiter,
                                    const asio::any_io_executor& executor) {
  std::lock_guard lock(mutex_);
  if (closed_) return Admission::Closed;
  if (queue_.empty() && !free_.empty()) {
    take_free_slot(lease);
    return Admission::Granted;
  }
  if (static_cast<std::int64_t>(queue_.size()) >= max_waiting_) return Admission::Rejected;
  waiter = std::make_shared<SlotWaiter>(executor);
  waiter->position = queue_.insert(queue_.end(), waiter);
  waiter->queued = true;
  waiting_.store(queue_.size(), std::memory_order_relaxed);
  return Admission::Queued;
}

asio::awaitable<void> SlotPool::wait(std::shared_ptr<SlotWaiter> waiter) {
  co_await asio::this_coro::throw_if_cancelled(false);
  // The timer never expires: it completes when release() posts a cancel (granted) or when the
  // awaiting coroutine is cancelled. The caller sorts out which in finish_wait().
  co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

bool SlotPool::finish_wait(SlotWaiter& waiter, SlotLease& lease) {
  std::lock_guard lock(mutex_);
  if (waiter.granted) {
    waiter.granted = false;
    lease.pool_ = this;
    lease.slot_ = waiter.slot;
    return true;
  }
  if (waiter.queued) {
    queue_.erase(waiter.position);
    waiter.queued = false;
    waiting_.store(queue_.size(), std::memory_order_relaxed);
  }
  return false;
}

void SlotPool::release(int slot) noexcept {  // NOLINT(bugprone-exception-escape)
  std::shared_ptr<SlotWaiter> next;
  {
    std::lock_guard lock(mutex_);
    if (!closed_ && !queue_.empty()) {
      // Hand the slot over directly: the active count does not change.
      next = std::move(queue_.front());
      queue_.pop_front();
      next->queued = false;
      next->granted = true;
      next->slot = slot;
      waiting_.store(queue_.size(), std::memory_order_relaxed);
    } else {
      free_.push_back(slot);
      active_.store(active_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    }
  }
  if (next) {
    // The timer belongs to the waiter's thread; wake it there. The shared_ptr keeps the timer
    // alive even if the waiter gave up in the meantime.
    auto executor = next->timer.get_executor();
    asio::post(executor, [waiter = std::move(next)] { waiter->timer.cancel(); });
  }
}

void SlotPool::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  for (auto& waiter : queue_) {
    waiter->queued = false;
    waiter->closed = true;
  }
  queue_.clear();
  waiting_.store(0, std::memory_order_relaxed);
}

SlotPool::Gauges SlotPool::gauges() const noexcept {
  return Gauges{active_.load(std::memory_order_relaxed), waiting_.load(std::memory_order_relaxed),
                max_active_.load(std::memory_order_relaxed)};
}

void SlotPool::reset_max_active() noexcept {
  std::lock_guard lock(mutex_);
  max_active_.store(active_.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

}  // namespace sy::sim
