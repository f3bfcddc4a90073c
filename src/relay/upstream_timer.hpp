#pragma once
// UpstreamTimer: aborts the engine connection when the current phase (first byte, then between
// events) or the request deadline runs out. Re-arming is lazy: the relay only moves the activity
// deadline (bump); the timer looks at it when it fires, so no timer call is made per token.
// Thread: the request's I/O thread. stop() must run before the connection goes away.

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
  UpstreamTimer(boost::asio::any_io_executor ex, EngineConnection& engine, TimePoint deadline)
      : timer_(ex), engine_(&engine), deadline_(deadline) {}

  void start(TimePoint activity_deadline) {
    activity_deadline_ = activity_deadline;
    arm();
  }
  void bump(TimePoint activity_deadline) noexcept { activity_deadline_ = activity_deadline; }
  void stop() {
    engine_ = nullptr;
    timer_.cancel();
  }
  [[nodiscard]] TimerReason fired() const noexcept { return fired_; }

 private:
  void arm() {
    timer_.expires_at(std::min(deadline_, activity_deadline_));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->engine_ == nullptr) return;
      const TimePoint now = Clock::now();
      if (now >= self->deadline_) {
        self->fire(TimerReason::Deadline);
      } else if (now >= self->activity_deadline_) {
        self->fire(TimerReason::Activity);
      } else {
        self->arm();
      }
    });
  }
  void fire(TimerReason reason) {
    fired_ = reason;
    engine_->abort();
  }

  boost::asio::steady_timer timer_;
  EngineConnection* engine_;
  TimePoint deadline_;
  TimePoint activity_deadline_ = TimePoint::max();
  TimerReason fired_ = TimerReason::None;
};

}  // namespace sy::relay
