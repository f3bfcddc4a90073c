#include "http/health_prober.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>

namespace sy::http {

namespace asio = boost::asio;

HealthProber::HealthProber(asio::io_context& control_io, control::ControlPlane& control)
    : io_(control_io), control_(control) {}

void HealthProber::watch(std::shared_ptr<const control::EndpointInfo> endpoint) {
  if (stopped_) return;
  auto loop = std::make_shared<Loop>(io_);
  loops_[endpoint->serial] = loop;
  ++running_;
  // The completion is the loop's owner: it counts the loop out (idle() then turns true).
  asio::co_spawn(io_, probe_loop(std::move(endpoint), std::move(loop)),
                 [this](const std::exception_ptr&) { --running_; });
}

void HealthProber::unwatch(std::uint64_t serial) {
  const auto it = loops_.find(serial);
  if (it == loops_.end()) return;
  end(*it->second);
  loops_.erase(it);
}

void HealthProber::end(Loop& loop) {
  loop.ended = true;
  loop.timer.cancel();
  if (loop.slot.socket != nullptr) {
    boost::system::error_code ignored;
    loop.slot.socket->close(ignored);
  }
}

void HealthProber::stop() {
  stopped_ = true;
  for (auto& [serial, loop] : loops_) end(*loop);
  loops_.clear();
}

asio::awaitable<void> HealthProber::probe_loop(std::shared_ptr<const control::EndpointInfo> info,
                                               std::shared_ptr<Loop> loop_ref) {
  Loop& loop = *loop_ref;
  const control::EndpointId id = info->id;
  const std::uint64_t serial = info->serial;
  while (!loop.ended) {
    // The endpoint's facts and the timeout as configured now: a reload may change them.
    info = control_.probed_endpoint(id, serial);
    if (!info) break;
    const std::uint32_t timeout_ms = control_.config().health.timeout_ms;
    const bool ok = co_await probe_endpoint(info.get(), timeout_ms, &loop.slot);
    if (loop.ended) break;
    control_.on_probe_result(id, serial, ok);
    loop.timer.expires_after(std::chrono::milliseconds(control_.probe_interval_ms(id)));
    co_await loop.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace sy::http
