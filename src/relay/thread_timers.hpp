#pragma once
// ThreadTimers: the deadlines of every stream on one I/O thread, served by one Asio timer.
//
// Why: a steady_timer costs 120 bytes, and an armed one a heap-allocated wait operation besides;
// per stream (stall and deadline timer, idle timer) that was a tenth of a stream's memory. Here a
// deadline is an intrusive Entry (a time and a heap index) inside the object that owns it, kept
// in a binary min-heap; the thread's one timer is armed for the earliest. Scheduling and
// cancelling are O(log n) and allocate nothing (the heap's vector grows to the thread's peak
// number of armed deadlines and stays there). Cancelling is synchronous: once cancel() or the
// entry's destructor returned, its expired() is never called, so an owner needs no shared_ptr to
// outlive a pending handler.
//
// The timer is not re-armed when the earliest deadline moves later or is cancelled: it then
// wakes once for nothing and re-arms for what is due next. Re-arming only when a deadline moves
// earlier keeps a stream's per-event bookkeeping to a comparison.
//
// Thread: one I/O thread; every Entry scheduled here is scheduled and cancelled on it.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <optional>
#include <vector>

#include "common/clock.hpp"

namespace sy::relay {

class ThreadTimers {
 public:
  class Entry {
   public:
    Entry() = default;
    // Unlinks the entry: an owner that goes away cancels its deadline.
    virtual ~Entry();
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

    [[nodiscard]] bool scheduled() const noexcept { return index_ != kUnscheduled; }
    [[nodiscard]] TimePoint due() const noexcept { return due_; }
    // Unschedules the entry if it is scheduled; its expired() will not run.
    void cancel() noexcept;

   protected:
    // Runs on the thread's timer, once `due` has passed; the entry is no longer scheduled (it
    // may schedule itself again).
    virtual void expired(TimePoint now) = 0;

   private:
    friend class ThreadTimers;
    static constexpr std::size_t kUnscheduled = static_cast<std::size_t>(-1);
    ThreadTimers* timers_ = nullptr;
    TimePoint due_{};
    std::size_t index_ = kUnscheduled;
  };

  ThreadTimers() = default;
  ThreadTimers(const ThreadTimers&) = delete;
  ThreadTimers& operator=(const ThreadTimers&) = delete;
  ~ThreadTimers();

  // The executor of the thread's timer; before the first schedule.
  void bind(boost::asio::any_io_executor executor) { executor_ = std::move(executor); }
  // (Re)schedules `entry` for `due`.
  void schedule(Entry& entry, TimePoint due);
  // Unschedules `entry` if it is scheduled; its expired() will not run.
  void cancel(Entry& entry) noexcept;

  // Releases the Asio timer (before the io_context goes away). Entries may still be cancelled
  // afterwards (a coroutine frame the io_context destroys), but none fires any more.
  void shut_down() noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }

 private:
  void arm_for(TimePoint due);
  void on_timer();
  void place(Entry* entry, std::size_t index) noexcept;
  void sift_up(std::size_t index) noexcept;
  void sift_down(std::size_t index) noexcept;
  void remove_at(std::size_t index) noexcept;

  boost::asio::any_io_executor executor_;
  std::optional<boost::asio::steady_timer> timer_;  // created at the first schedule
  std::vector<Entry*> heap_;                        // min-heap on due_
  TimePoint armed_for_ = TimePoint::max();          // when the pending wait fires; max: none
  bool shut_down_ = false;
};

}  // namespace sy::relay
