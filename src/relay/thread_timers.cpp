#include "relay/thread_timers.hpp"

#include <utility>

namespace sy::relay {

ThreadTimers::Entry::~Entry() {
  if (timers_ != nullptr) timers_->cancel(*this);
}

void ThreadTimers::Entry::cancel() noexcept {
  if (timers_ != nullptr) timers_->cancel(*this);
}

ThreadTimers::~ThreadTimers() {
  // Entries that outlive the thread's timers must not reach back into them.
  for (Entry* e : heap_) {
    e->index_ = Entry::kUnscheduled;
    e->timers_ = nullptr;
  }
}

void ThreadTimers::schedule(Entry& entry, TimePoint due) {
  entry.timers_ = this;
  entry.due_ = due;
  if (entry.scheduled()) {
    sift_up(entry.index_);
    sift_down(entry.index_);
  } else {
    heap_.push_back(&entry);
    place(&entry, heap_.size() - 1);
    sift_up(entry.index_);
  }
  if (due < armed_for_) arm_for(due);
}

void ThreadTimers::cancel(Entry& entry) noexcept {
  if (!entry.scheduled() || entry.timers_ != this) return;
  remove_at(entry.index_);
}

void ThreadTimers::shut_down() noexcept {
  shut_down_ = true;
  timer_.reset();
  armed_for_ = TimePoint::min();  // never arm again
}

void ThreadTimers::arm_for(TimePoint due) {
  if (shut_down_) return;
  if (!timer_) timer_.emplace(executor_);
  armed_for_ = due;
  // Re-arming cancels the pending wait: its handler then runs with an error and does nothing.
  timer_->expires_at(due);
  timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec) on_timer();
  });
}

void ThreadTimers::on_timer() {
  armed_for_ = TimePoint::max();
  const TimePoint now = Clock::now();
  while (!heap_.empty() && heap_.front()->due_ <= now) {
    Entry* e = heap_.front();
    remove_at(0);
    e->expired(now);  // may schedule or cancel any entry, this one included
  }
  if (!heap_.empty() && heap_.front()->due_ < armed_for_) arm_for(heap_.front()->due_);
}

void ThreadTimers::place(Entry* entry, std::size_t index) noexcept {
  heap_[index] = entry;
  entry->index_ = index;
}

void ThreadTimers::sift_up(std::size_t index) noexcept {
  Entry* e = heap_[index];
  while (index > 0) {
    const std::size_t parent = (index - 1) / 2;
    if (!(e->due_ < heap_[parent]->due_)) break;
    place(heap_[parent], index);
    index = parent;
  }
  place(e, index);
}

void ThreadTimers::sift_down(std::size_t index) noexcept {
  Entry* e = heap_[index];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * index + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->due_ < heap_[child]->due_) ++child;
    if (!(heap_[child]->due_ < e->due_)) break;
    place(heap_[child], index);
    index = child;
  }
  place(e, index);
}

void ThreadTimers::remove_at(std::size_t index) noexcept {
  Entry* removed = heap_[index];
  Entry* last = heap_.back();
  heap_.pop_back();
  removed->index_ = Entry::kUnscheduled;
  if (removed == last) return;
  place(last, index);
  sift_up(index);
  sift_down(last->index_);
}

}  // namespace sy::relay
