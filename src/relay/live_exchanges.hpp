#pragma once
// LiveExchanges: the upstream exchanges running on one I/O thread, so that shutdown can end them
// with a final coded event instead of cutting the client off (see abort_all).
//
// An exchange links a LiveExchange into its worker's list for as long as it talks to an engine
// (the RAII Registration does both ends). Thread: the owning worker's thread only; shutdown
// reaches it by posting abort_all() to that thread.

#include <cstddef>

#include "relay/engine_connection.hpp"

namespace sy::relay {

struct LiveExchange {
  EngineConnection* upstream = nullptr;  // the engine connection, while one is open
  bool aborted = false;                  // set by abort_all(): the exchange reports ShuttingDown
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
      ex->aborted = true;
      if (ex->upstream != nullptr) ex->upstream->abort();
      ++n;
    }
    return n;
  }

 private:
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
