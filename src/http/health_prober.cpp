#include "http/health_prober.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>

namespace sy::http {

namespace asio = boost::asio;

HealthProber::HealthProber(asio::io_context& control_io, control::ControlPlane& control,
                           std::uint32_t probe_timeout_ms)
    : io_(control_io), control_(control), timeout_ms_(probe_timeout_ms) {}

void HealthProber::start() {
  for (const control::EndpointInfo& e : control_.endpoints()) {
    auto loop = std::make_shared<Loop>(io_);
    loops_.push_back(loop);
    ++running_;
    // The completion is the loop's owner: it counts the loop out (idle() then turns true).
    asio::co_spawn(io_, probe_loop(e.index, std::move(loop)),
                   [this](const std::exception_ptr&) { --running_; });
  }
}

void HealthProber::stop() {
  stopped_ = true;
  for (auto& loop : loops_) {
    loop->timer.cancel();
    if (loop->slot.socket != nullptr) {
      boost::system::error_code ignored;
      loop->slot.socket->close(ignored);
    }
  }
}

asio::awaitable<void> HealthProber::probe_loop(std::uint32_t endpoint,
                                               std::shared_ptr<Loop> loop_ref) {
  Loop& loop = *loop_ref;
  const control::EndpointInfo* info = &control_.endpoints()[endpoint];
  while (!stopped_) {
    const bool ok = co_await probe_endpoint(info, timeout_ms_, &loop.slot);
    if (stopped_) break;
    control_.on_probe_result(endpoint, ok);
    loop.timer.expires_after(std::chrono::milliseconds(control_.probe_interval_ms(endpoint)));
    co_await loop.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace sy::http
