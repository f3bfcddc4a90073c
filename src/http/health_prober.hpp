#pragma once
// HealthProber: the active health probes of every endpoint, one loop per endpoint on the control
// thread, each reporting to the ControlPlane (which owns readiness). It owns its loops: stop()
// ends them soon (interval timers cancelled, a running probe's socket closed), and idle() says
// when every loop has ended: after the loops stop, shutdown runs the control thread on for a
// moment until it is (bounded), so that no probe is cut mid-flight.
// Thread: the control thread (constructor aside).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "control/control_plane.hpp"
#include "http/health_probe.hpp"

namespace sy::http {

class HealthProber {
 public:
  HealthProber(boost::asio::io_context& control_io, control::ControlPlane& control,
               std::uint32_t probe_timeout_ms);
  HealthProber(const HealthProber&) = delete;
  HealthProber& operator=(const HealthProber&) = delete;

  void start();
  void stop();
  [[nodiscard]] bool idle() const noexcept { return running_ == 0; }

 private:
  struct Loop {
    explicit Loop(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;
    ProbeSlot slot;
  };
  // Holds its Loop by shared_ptr: a frame destroyed with the io_context (a probe cut at exit)
  // must not touch freed memory.
  boost::asio::awaitable<void> probe_loop(std::uint32_t endpoint, std::shared_ptr<Loop> loop);

  boost::asio::io_context& io_;
  control::ControlPlane& control_;
  std::uint32_t timeout_ms_;
  std::vector<std::shared_ptr<Loop>> loops_;  // by endpoint index
  std::size_t running_ = 0;
  bool stopped_ = false;
};

}  // namespace sy::http
