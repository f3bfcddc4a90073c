#pragma once
// LiveExchanges: the upstream exchanges running on one I/O thread, so that shutdown, or the end
// of a removed endpoint's drain, can end them with a final coded event instead of cutting the
// client off (abort_all, abort_endpoint).
//
// An exchange links a LiveExchange into its worker's list for as long as it talks to an engine
// (the RAII Registration does both ends). Thread: the owning worker's thread only; shutdown
// reaches it by posting abort_all() to that thread.

#include <cstddef>
#include <cstdint>

#include "relay/engine_connection.hpp"

namespace sy::relay {

// Why an exchange was ended from outside.
enum class AbortReason : std::uint8_t {
  None,
  Shutdown,         // the server stops: ShuttingDown
  EndpointRemoved,  // its endpoint was removed and the drain deadline passed: EndpointRemoved
};

struct LiveExchange {
  EngineConnection* upstream = nullptr;  // the engine connection, while one is open
  std::uint32_t endpoint = 0;            // the endpoint's id and serial
  std::uint64_t serial = 0;
  AbortReason aborted = AbortReason::None;
  LiveExchange* prev = nullptr;
  LiveExchange* next = nullptr;
};

class LiveExchanges {
 public:
  // Links `ex` for the registration's lifetime.
  class Registration {
   public:
    Registration(LiveExchanges& list, LiveExchange& ex) : list_(list), ex_(ex) { list_.link(ex_); }
    ~Registration() { list_.unlink(ex_); }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    LiveExchanges& list_;
    LiveExchange& ex_;
  };

  // Marks every linked exchange aborted and closes its engine connection, which ends its pending
  // read at once; each then writes its own final event. Returns how many were aborted.
  std::size_t abort_all() noexcept {
    std::size_t n = 0;
    for (LiveExchange* ex = head_; ex != nullptr; ex = ex->next) {
      abort(*ex, AbortReason::Shutdown);
      ++n;
    }
    return n;
  }
  // The same for the exchanges on one endpoint (id and serial).
  std::size_t abort_endpoint(std::uint32_t endpoint, std::uint64_t serial) noexcept {
    std::size_t n = 0;
    for (LiveExchange* ex = head_; ex != nullptr; ex = ex->next) {
      if (ex->endpoint != endpoint || ex->serial != serial) continue;
      abort(*ex, AbortReason::EndpointRemoved);
      ++n;
    }
    return n;
  }

 private:
  static void abort(LiveExchange& ex, AbortReason reason) noexcept {
    if (ex.aborted == AbortReason::None) ex.aborted = reason;
    if (ex.upstream != nullptr) ex.upstream->abort();
  }
  void link(LiveExchange& ex) noexcept {
    ex.prev = nullptr;
    ex.next = head_;
    if (head_ != nullptr) head_->prev = &ex;
    head_ = &ex;
  }
  void unlink(LiveExchange& ex) noexcept {
    if (ex.prev != nullptr) ex.prev->next = ex.next;
    if (ex.next != nullptr) ex.next->prev = ex.prev;
    if (head_ == &ex) head_ = ex.next;
    ex.prev = ex.next = nullptr;
  }

  LiveExchange* head_ = nullptr;
};

}  // namespace sy::relay
