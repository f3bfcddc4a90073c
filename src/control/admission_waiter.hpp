#pragma once
// AdmissionWaiter: one request's seat while the control plane decides where (and when) it runs.
//
// Owned jointly (shared_ptr) by the request's coroutine and, while queued, by the control plane.
// Every field is read and written ONLY on the request's I/O thread: the control plane never
// touches it directly but posts a completion to `executor`, which updates the state and wakes the
// coroutine by cancelling `wake`.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>

#include "common/error.hpp"

namespace sy::control {

struct AdmissionWaiter {
  enum class State : std::uint8_t { Waiting, Granted, Rejected, Abandoned };

  explicit AdmissionWaiter(boost::asio::any_io_executor ex) : executor(ex), wake(ex) {}

  boost::asio::any_io_executor executor;
  boost::asio::steady_timer wake;  // the coroutine waits on it; cancelled to wake it
  State state = State::Waiting;
  bool queued = false;                   // the scheduler put it in a queue (not dispatched at once)
  std::uint32_t endpoint = 0;            // Granted
  std::size_t position = 0;              // last known 0-based queue position
  std::uint64_t predicted_start_ms = 0;  // queued: when it should start (ms from the estimate)
  Error error;                           // Rejected
};

}  // namespace sy::control
