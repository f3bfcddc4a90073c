#include "admission/admission_queue.hpp"

#include <cassert>
#include <iterator>

namespace sy::admission {

AdmissionQueue::AdmissionQueue(std::size_t capacity, OverflowPolicy policy)
    : capacity_(capacity), policy_(policy) {}

AdmissionQueue::PushOutcome AdmissionQueue::push(const QueuedRequest& request) {
  if (capacity_ == 0 || index_.contains(request.id)) return {};

  PushOutcome outcome;
  if (size() >= capacity_) {
    outcome.evicted = choose_victim(request);
    if (!outcome.evicted) return {};
    erase_slot(index_.find(*outcome.evicted));
  }

  Lane& items = lane(request.priority);
  items.push_back(request);
  Slot slot{std::prev(items.end()), {}};
  if (request.deadline != TimePoint::max()) {
    slot.deadline = deadlines_.emplace(request.deadline, request.id);
  }
  index_.emplace(request.id, slot);
  outcome.admitted = true;
  return outcome;
}

std::optional<std::uint64_t> AdmissionQueue::choose_victim(const QueuedRequest& incoming) const {
  const Lane& interactive = lane(Priority::Interactive);
  const Lane& batch = lane(Priority::Batch);
  switch (policy_) {
    case OverflowPolicy::Reject:
      return std::nullopt;
    case OverflowPolicy::DropLru:
      if (!batch.empty()) return batch.front().id;
      // Batch work never displaces interactive work, even under LRU.
      if (incoming.priority == Priority::Interactive && !interactive.empty()) {
        return interactive.front().id;
      }
      return std::nullopt;
    case OverflowPolicy::ShedLowPriority:
      // Only interactive work may displace anything, and only batch work is displaced: the newest
      // batch item has waited least, so shedding it wastes the least queueing already done.
      if (incoming.priority == Priority::Interactive && !batch.empty()) return batch.back().id;
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<QueuedRequest> AdmissionQueue::pop() {
  const QueuedRequest* next = peek();
  if (next == nullptr) return std::nullopt;
  QueuedRequest found = *next;
  erase_slot(index_.find(found.id));
  return found;
}

const QueuedRequest* AdmissionQueue::peek() const {
  for (const Lane& items : lanes_) {
    if (!items.empty()) return &items.front();
  }
  return nullptr;
}

bool AdmissionQueue::remove(std::uint64_t id) {
  auto slot = index_.find(id);
  if (slot == index_.end()) return false;
  erase_slot(slot);
  return true;
}

std::optional<std::size_t> AdmissionQueue::position(std::uint64_t id) const {
  auto slot = index_.find(id);
  if (slot == index_.end()) return std::nullopt;
  const Priority priority = slot->second.item->priority;
  const Lane& items = lane(priority);
  const std::size_t ahead_in_other_lanes =
      priority == Priority::Batch ? size(Priority::Interactive) : 0;

  // Walk from the item towards both ends at once: whichever end is reached first gives the
  // distance from the front, so the cost is O(min(p, n - p)) rather than O(p).
  Lane::const_iterator back = slot->second.item;
  Lane::const_iterator fwd = slot->second.item;
  for (std::size_t steps = 0;; ++steps) {
    if (back == items.begin()) return ahead_in_other_lanes + steps;
    if (std::next(fwd) == items.end()) return ahead_in_other_lanes + items.size() - 1 - steps;
    --back;
    ++fwd;
  }
}

std::vector<std::uint64_t> AdmissionQueue::expire(TimePoint now) {
  std::vector<std::uint64_t> expired;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const std::uint64_t id = deadlines_.begin()->second;
    auto slot = index_.find(id);
    assert(slot != index_.end());  // every deadline entry belongs to a queued item
    erase_slot(slot);
    expired.push_back(id);
  }
  return expired;
}

void AdmissionQueue::erase_slot(std::unordered_map<std::uint64_t, Slot>::iterator slot) {
  // The deadline iterator is only set for items with a deadline (an end() sentinel would not
  // survive moving the queue).
  const Slot& s = slot->second;
  if (s.item->deadline != TimePoint::max()) deadlines_.erase(s.deadline);
  lane(s.item->priority).erase(s.item);
  index_.erase(slot);
}

}  // namespace sy::admission
