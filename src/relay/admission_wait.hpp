#pragma once
// Getting an engine slot for one attempt: the fast path (claim a free slot on this thread when
// nothing of the model waits), or a ticket to the scheduler and a wait for its answer on an
// AdmissionWaiter. While a streamed request waits, its client gets the stream head at once and
// `: queued position=N` comments. Ends with a slot, a refusal, or the client gone.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "admission/priority.hpp"
#include "api/completion_request.hpp"
#include "common/error.hpp"
#include "relay/client_gone.hpp"
#include "relay/relay_deps.hpp"
#include "relay/request_info.hpp"
#include "relay/stream_sink.hpp"

namespace sy::relay {

struct SlotRequest {
  admission::Priority priority = admission::Priority::Interactive;
  TimePoint deadline = TimePoint::max();
  std::uint32_t needed_ctx = 0;
  std::vector<std::uint32_t> excluded;  // endpoints already tried
  bool first_attempt = true;            // only a first attempt may take the fast path
};

struct SlotOutcome {
  enum class Kind : std::uint8_t {
    Granted,     // `endpoint` is ours; it must be released
    Rejected,    // `error` says why (the scheduler's refusal)
    TimedOut,    // the deadline passed while it waited
    ClientGone,  // the client left while it waited
  };
  Kind kind = Kind::Granted;
  std::uint32_t endpoint = 0;
  Error error;
};

// Every pointer outlives the call. A ticket to the scheduler takes `slot->excluded` (moved out).
[[nodiscard]] boost::asio::awaitable<SlotOutcome> wait_for_slot(
    const RelayDeps* deps, const RequestInfo* info, const api::CompletionRequest* request,
    SlotRequest* slot, StreamSink* sink, CloseEngineOnGone* on_gone);

}  // namespace sy::relay
