#pragma once
// CloseEngineOnGone: what the pipeline does the moment its client leaves. It closes the engine
// connection of the running exchange (the engine stops generating at once; no polling) and wakes
// the admission wait, if either is set. Lives in the request's coroutine frame; its sink holds a
// pointer to it while the request runs. Thread: the request's I/O thread.

#include <boost/asio/steady_timer.hpp>
#include <cstdint>

#include "common/clock.hpp"
#include "relay/engine_connection.hpp"
#include "relay/stream_sink.hpp"

namespace sy::relay {

class CloseEngineOnGone final : public GoneListener {
 public:
  // The engine connection to close when the client leaves (nullptr: none right now).
  void set_engine(EngineConnection* engine) noexcept { engine_ = engine; }
  // A timer to cancel when the client leaves (the admission wait).
  void set_wake(boost::asio::steady_timer* wake) noexcept { wake_ = wake; }

  void client_gone() noexcept override {
    if (engine_ != nullptr) {
      const std::int64_t noticed = monotonic_ns();
      engine_->abort();
      engine_ = nullptr;
      close_lag_ns_ = monotonic_ns() - noticed;
    }
    if (wake_ != nullptr) wake_->cancel();
  }

  // Nanoseconds from noticing the disconnect to closing the engine connection (0 if none).
  [[nodiscard]] std::int64_t engine_closed_after_ns() const noexcept { return close_lag_ns_; }

 private:
  EngineConnection* engine_ = nullptr;
  boost::asio::steady_timer* wake_ = nullptr;
  std::int64_t close_lag_ns_ = 0;
};

}  // namespace sy::relay
