#pragma once
// HealthProber: the active health probes of every configured endpoint, one loop per endpoint on
// the control thread, each reporting to the ControlPlane (which owns readiness). Loops follow the
// registry: watch() starts one for a new endpoint, unwatch() ends it when a reload removes the
// endpoint. It owns its loops: stop() ends them all soon (interval timers cancelled, a running
// probe's socket closed), and idle() says when every loop has ended: after the loops stop,
// shutdown runs the control thread on for a moment until it is (bounded), so that no probe is
// cut mid-flight.
// Thread: the control thread (constructor aside).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "control/control_plane.hpp"
#include "http/health_probe.hpp"

namespace sy::http {

class HealthProber {
 public:
  HealthProber(boost::asio::io_context& control_io, control::ControlPlane& control);
  HealthProber(const HealthProber&) = delete;
  HealthProber& operator=(const HealthProber&) = delete;

  // Starts probing `endpoint` (its first probe runs at once).
  void watch(std::shared_ptr<const control::EndpointInfo> endpoint);
  // Ends the loop of endpoint `serial` soon.
  void unwatch(std::uint64_t serial);
  void stop();
  [[nodiscard]] bool idle() const noexcept { return running_ == 0; }

 private:
  struct Loop {
    explicit Loop(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;
    ProbeSlot slot;
    bool ended = false;
  };
  // Holds its Loop and endpoint by shared_ptr: a frame destroyed with the io_context (a probe
  // cut at exit) must not touch freed memory.
  boost::asio::awaitable<void> probe_loop(std::shared_ptr<const control::EndpointInfo> endpoint,
                                          std::shared_ptr<Loop> loop);
  static void end(Loop& loop);

  boost::asio::io_context& io_;
  control::ControlPlane& control_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Loop>> loops_;  // by endpoint serial
  std::size_t running_ = 0;
  bool stopped_ = false;
};

}  // namespace sy::http
