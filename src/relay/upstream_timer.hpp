#pragma once
// UpstreamTimer: aborts the engine connection when the current phase (first byte, then between
// events) or the request deadline runs out, and has the connection look again for an engine's
// close (EngineConnection::recheck) once the stream has been quiet for `recheck_after`. Re-arming
// is lazy: the relay only records what it heard (bump); the timer looks at it when it fires, so
// no timer call is made per token.
// Thread: the request's I/O thread. stop() must run before the connection goes away.

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>

#include "common/clock.hpp"
#include "relay/engine_connection.hpp"

namespace sy::relay {

enum class TimerReason : std::uint8_t { None, Activity, Deadline };

class UpstreamTimer : public std::enable_shared_from_this<UpstreamTimer> {
 public:
  // `recheck_after`: a quiet stream's connection is rechecked this often, so a close that came
  // with the engine's last bytes is noticed within about this long (most are noticed at once);
  // zero: never.
  UpstreamTimer(boost::asio::any_io_executor ex, EngineConnection& engine, TimePoint deadline,
                Millis recheck_after)
      : timer_(ex), engine_(&engine), deadline_(deadline), recheck_after_(recheck_after) {}

  void start(TimePoint activity_deadline) {
    activity_deadline_ = activity_deadline;
    heard_at_ = Clock::now();
    arm();
  }
  // The engine sent an event at `now`; the next must come before `activity_deadline`.
  void bump(TimePoint now, TimePoint activity_deadline) noexcept {
    heard_at_ = now;
    activity_deadline_ = activity_deadline;
  }
  void stop() {
    engine_ = nullptr;
    timer_.cancel();
  }
  [[nodiscard]] TimerReason fired() const noexcept { return fired_; }

 private:
  void arm() {
    timer_.expires_at(std::min({deadline_, activity_deadline_, recheck_at()}));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->engine_ == nullptr) return;
      const TimePoint now = Clock::now();
      if (now >= self->deadline_) {
        self->fire(TimerReason::Deadline);
      } else if (now >= self->activity_deadline_) {
        self->fire(TimerReason::Activity);
      } else {
        if (now >= self->recheck_at()) {
          self->engine_->recheck();
          self->heard_at_ = now;  // quiet still: again after another recheck_after_
        }
        self->arm();
      }
    });
  }
  [[nodiscard]] TimePoint recheck_at() const noexcept {
    return recheck_after_ == Millis::zero() ? TimePoint::max() : heard_at_ + recheck_after_;
  }
  void fire(TimerReason reason) {
    fired_ = reason;
    engine_->abort();
  }

  boost::asio::steady_timer timer_;
  EngineConnection* engine_;
  TimePoint deadline_;
  Millis recheck_after_;
  TimePoint activity_deadline_ = TimePoint::max();
  TimePoint heard_at_{};  // when the engine last sent an event (or the phase started)
  TimerReason fired_ = TimerReason::None;
};

}  // namespace sy::relay
