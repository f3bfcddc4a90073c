#pragma once
// UpstreamTimer: aborts the engine connection when the current phase (first byte, then between
// events) or the request deadline runs out, and has the connection look again for an engine's
// close (EngineConnection::recheck) once the stream has been quiet for `recheck_after`. Re-arming
// is lazy: the relay only records what it heard (bump); the timer looks at it when it fires, so
// no timer call is made per token. A deadline in the I/O thread's ThreadTimers: it holds no Asio
// timer and allocates nothing.
// Thread: the request's I/O thread. stop() (or destruction) must come before the connection goes
// away.

#include <algorithm>
#include <cstdint>

#include "common/clock.hpp"
#include "relay/engine_connection.hpp"
#include "relay/thread_timers.hpp"

namespace sy::relay {

enum class TimerReason : std::uint8_t { None, Activity, Deadline };

class UpstreamTimer final : public ThreadTimers::Entry {
 public:
  UpstreamTimer() = default;
  ~UpstreamTimer() override = default;

  // Starts a phase: the engine must send something before `activity_deadline`, and everything
  // must end before `deadline`. `recheck_after`: a quiet stream's connection is rechecked this
  // often, so a close that came with the engine's last bytes is noticed within about this long
  // (most are noticed at once); zero: never.
  void start(ThreadTimers& timers, EngineConnection& engine, TimePoint deadline,
             Millis recheck_after, TimePoint activity_deadline) {
    timers_ = &timers;
    engine_ = &engine;
    deadline_ = deadline;
    recheck_after_ = recheck_after;
    activity_deadline_ = activity_deadline;
    heard_at_ = Clock::now();
    fired_ = TimerReason::None;
    arm();
  }
  // The engine sent an event at `now`; the next must come before `activity_deadline`.
  void bump(TimePoint now, TimePoint activity_deadline) noexcept {
    heard_at_ = now;
    activity_deadline_ = activity_deadline;
  }
  // Ends the phase; fired() keeps its answer.
  void stop() noexcept {
    engine_ = nullptr;
    cancel();
  }
  [[nodiscard]] TimerReason fired() const noexcept { return fired_; }

 private:
  void arm() { timers_->schedule(*this, std::min({deadline_, activity_deadline_, recheck_at()})); }

  void expired(TimePoint now) override {
    if (engine_ == nullptr) return;
    if (now >= deadline_) {
      fire(TimerReason::Deadline);
    } else if (now >= activity_deadline_) {
      fire(TimerReason::Activity);
    } else {
      if (now >= recheck_at()) {
        engine_->recheck();
        heard_at_ = now;  // quiet still: again after another recheck_after_
      }
      arm();
    }
  }
  [[nodiscard]] TimePoint recheck_at() const noexcept {
    return recheck_after_ == Millis::zero() ? TimePoint::max() : heard_at_ + recheck_after_;
  }
  void fire(TimerReason reason) {
    fired_ = reason;
    engine_->abort();
  }

  ThreadTimers* timers_ = nullptr;
  EngineConnection* engine_ = nullptr;
  TimePoint deadline_{};
  Millis recheck_after_{};
  TimePoint activity_deadline_ = TimePoint::max();
  TimePoint heard_at_{};  // when the engine last sent an event (or the phase started)
  TimerReason fired_ = TimerReason::None;
};

}  // namespace sy::relay
