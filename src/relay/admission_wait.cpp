#include "relay/admission_wait.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "control/admission_waiter.hpp"
#include "control/slot_board.hpp"
#include "telemetry/log.hpp"

namespace sy::relay {

namespace asio = boost::asio;
using control::AdmissionWaiter;
using telemetry::LogLevel;

namespace {

constexpr auto kToken = asio::as_tuple(asio::use_awaitable);

// The streamed request learns that it waits, and where it stands (in the client's format: for
// OpenAI clients an SSE comment they ignore). The head goes out with the first one.
asio::awaitable<void> announce_position(StreamSink* sink, std::size_t position,
                                        std::uint64_t predicted_start_ms) {
  bool ok = true;
  if (!sink->stream_open()) ok = co_await sink->open_stream();
  if (!ok) co_return;
  std::string events;
  sink->append_queue_position(events, position, predicted_start_ms);
  (void)co_await sink->send_events(events);
}

}  // namespace

asio::awaitable<SlotOutcome> wait_for_slot(const RelayDeps* deps_in, const RequestInfo* info,
                                           const api::CompletionRequest* request,
                                           SlotRequest* slot_in, StreamSink* sink,
                                           CloseEngineOnGone* on_gone) {
  const RelayDeps& deps = *deps_in;
  SlotRequest& slot = *slot_in;
  control::ControlPlane& control = *deps.control;
  // Fast path: nothing of this model waits and an endpoint has a free slot, so claim it here,
  // on this thread, without a round trip through the control thread. Sessions and retries
  // (which need the scheduler's affinity and exclusions) always go through the scheduler.
  if (slot.first_attempt && info->session_id().empty()) {
    const auto registry = deps.registry();
    if (const auto claimed = control::claim_free_slot(registry->placement, *control.board(),
                                                      request->model, slot.needed_ctx)) {
      co_return SlotOutcome{SlotOutcome::Kind::Granted, *claimed, {}};
    }
  }

  auto waiter = std::make_shared<AdmissionWaiter>(deps.executor);
  control::Ticket ticket;
  ticket.id = control.next_ticket_id();
  ticket.model = request->model;
  ticket.priority = slot.priority;
  ticket.needed_ctx = slot.needed_ctx;
  ticket.deadline = slot.deadline;
  ticket.session_id = std::string(info->session_id());
  ticket.excluded = std::move(slot.excluded);
  const std::uint64_t ticket_id = ticket.id;
  control.submit(std::move(ticket), waiter);
  on_gone->set_wake(&waiter->wake);
  bool announced_queue = false;
  const std::uint32_t position_interval_ms = info->config->queue.position_interval_ms;

  while (waiter->state == AdmissionWaiter::State::Waiting) {
    TimePoint wake_at = slot.deadline;
    if (request->stream && waiter->queued && announced_queue) {
      wake_at = std::min(wake_at, deps.now() + Millis(position_interval_ms));
    }
    waiter->wake.expires_at(wake_at);
    co_await waiter->wake.async_wait(kToken);
    if (waiter->state != AdmissionWaiter::State::Waiting) break;
    if (sink->gone() || deps.now() >= slot.deadline) {
      waiter->state = AdmissionWaiter::State::Abandoned;
      control.cancel(ticket_id);
      break;
    }
    if (waiter->queued && !announced_queue) {
      announced_queue = true;
      telemetry::log_event(
          LogLevel::Info, "queued", info->correlation_id,
          "Every engine slot for the model is busy; the request waits in the queue.",
          {{"model", std::string_view(request->model)},
           {"priority", admission::to_string(slot.priority)},
           {"queue_position", static_cast<std::uint64_t>(waiter->position)}});
    }
    if (request->stream && waiter->queued) {
      co_await announce_position(sink, waiter->position, waiter->predicted_start_ms);
      control.query_position(ticket_id, waiter);
    }
  }
  on_gone->set_wake(nullptr);

  switch (waiter->state) {
    case AdmissionWaiter::State::Granted:
      co_return SlotOutcome{SlotOutcome::Kind::Granted, waiter->endpoint, {}};
    case AdmissionWaiter::State::Rejected:
      co_return SlotOutcome{SlotOutcome::Kind::Rejected, 0, waiter->error};
    default:
      co_return SlotOutcome{
          sink->gone() ? SlotOutcome::Kind::ClientGone : SlotOutcome::Kind::TimedOut, 0, {}};
  }
}

}  // namespace sy::relay
