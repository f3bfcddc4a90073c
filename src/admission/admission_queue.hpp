#pragma once
// AdmissionQueue: the bounded wait queue of ONE model, with two priorities.
//
// Dispatch order is every interactive item in arrival (FIFO) order, then every batch item in
// arrival order. When the queue is full, the OverflowPolicy decides between refusing the newcomer
// and evicting a queued item (the evicted id is returned so the caller can answer it 429).
//
// Complexity: peek O(1); push, pop, remove O(1) average (id index), plus O(log n) for an item with
// a deadline (deadline order); expire O((k + 1) log n) for k expired items; position
// O(min(p, n - p)) list steps for an item at position p of the n in its priority; pop_if
// O(items scanned).
//
// Thread: not synchronised; owned and used by the control strand only. Copying is deleted
// (the id index holds iterators into the queue's own lists); moving is allowed.

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "admission/overflow_policy.hpp"
#include "admission/priority.hpp"
#include "common/clock.hpp"

namespace sy::admission {

struct QueuedRequest {
  std::uint64_t id = 0;
  Priority priority = Priority::Interactive;
  TimePoint enqueued_at{};
  TimePoint deadline = TimePoint::max();  // TimePoint::max() = no deadline
  std::uint32_t needed_ctx = 0;
};

class AdmissionQueue {
 public:
  struct PushOutcome {
    bool admitted = false;
    std::optional<std::uint64_t> evicted;  // set only when admitted displaced another item
  };

  // capacity 0 means nothing is ever admitted, whatever the policy.
  AdmissionQueue(std::size_t capacity, OverflowPolicy policy);

  AdmissionQueue(const AdmissionQueue&) = delete;
  AdmissionQueue& operator=(const AdmissionQueue&) = delete;
  AdmissionQueue(AdmissionQueue&&) = default;
  AdmissionQueue& operator=(AdmissionQueue&&) = default;
  ~AdmissionQueue() = default;

  // Appends `request` at the tail of its priority. When full, applies the overflow policy:
  //   Reject          → not admitted.
  //   DropLru         → evicts the oldest batch item if any, else (for an interactive newcomer
  //                     only) the oldest interactive item, then admits; a batch newcomer facing
  //                     only interactive items is not admitted.
  //   ShedLowPriority → an interactive newcomer evicts the NEWEST batch item and is admitted;
  //                     a batch newcomer, or one facing only interactive items, is not admitted.
  // An id that is already queued is never admitted (ids must be unique).
  [[nodiscard]] PushOutcome push(const QueuedRequest& request);

  // Removes and returns the next item in dispatch order; nullopt when empty.
  [[nodiscard]] std::optional<QueuedRequest> pop();

  // Removes and returns the first item in dispatch order for which pred(item) is true; nullopt
  // when none matches. Use it when only some items fit the capacity that freed up.
  // `pred` is called with const QueuedRequest& and must not touch this queue.
  template <typename Pred>
  [[nodiscard]] std::optional<QueuedRequest> pop_if(Pred&& pred) {
    for (auto& items : lanes_) {
      if (auto found = take_first_if(items, pred)) return found;
    }
    return std::nullopt;
  }

  // As pop_if(pred), restricted to the items of one priority.
  template <typename Pred>
  [[nodiscard]] std::optional<QueuedRequest> pop_if(Priority priority, Pred&& pred) {
    return take_first_if(lane(priority), pred);
  }

  // The next item in dispatch order, or nullptr when empty. Valid until the queue next changes.
  [[nodiscard]] const QueuedRequest* peek() const;

  // Removes the item with `id`; false when it is not queued.
  bool remove(std::uint64_t id);

  // 0-based position of `id` in dispatch order; nullopt when it is not queued.
  [[nodiscard]] std::optional<std::size_t> position(std::uint64_t id) const;

  // Removes every item whose deadline <= now and returns their ids, earliest deadline first.
  [[nodiscard]] std::vector<std::uint64_t> expire(TimePoint now);

  [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }
  [[nodiscard]] std::size_t size(Priority priority) const noexcept {
    return lanes_[static_cast<std::size_t>(priority)].size();
  }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] bool empty() const noexcept { return index_.empty(); }
  [[nodiscard]] OverflowPolicy policy() const noexcept { return policy_; }

 private:
  using Lane = std::list<QueuedRequest>;
  using Deadlines = std::multimap<TimePoint, std::uint64_t>;

  struct Slot {
    Lane::iterator item;
    Deadlines::iterator deadline;  // meaningful only when item->deadline != TimePoint::max()
  };

  Lane& lane(Priority priority) { return lanes_[static_cast<std::size_t>(priority)]; }
  const Lane& lane(Priority priority) const { return lanes_[static_cast<std::size_t>(priority)]; }

  // Picks the item the overflow policy evicts to make room for `incoming`; nullopt = refuse.
  [[nodiscard]] std::optional<std::uint64_t> choose_victim(const QueuedRequest& incoming) const;

  // Unlinks the item from its lane, the index and the deadline order.
  void erase_slot(std::unordered_map<std::uint64_t, Slot>::iterator slot);

  template <typename Pred>
  std::optional<QueuedRequest> take_first_if(Lane& items, Pred& pred) {
    for (auto it = items.begin(); it != items.end(); ++it) {
      if (pred(static_cast<const QueuedRequest&>(*it))) {
        QueuedRequest found = *it;
        erase_slot(index_.find(found.id));
        return found;
      }
    }
    return std::nullopt;
  }

  std::size_t capacity_;
  OverflowPolicy policy_;
  std::array<Lane, kPriorityCount> lanes_;
  Deadlines deadlines_;
  std::unordered_map<std::uint64_t, Slot> index_;
};

}  // namespace sy::admission
