#pragma once
// ExchangeRun: the state of one run_exchange() call and its phases, each a member coroutine in
// its own file:
//   exchange_send.cpp    acquire a connection, send the request, read the head; triage the head
//                        (5xx and backpressure end the attempt before the client sees anything)
//   exchange_answer.cpp  a whole answer: read the body, translate, send it
//   exchange_stream.cpp  the streaming relay (the hot path) and how a stream ends
// Internal to relay/. Lives in run_exchange's coroutine frame.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>

#include "encoders/stream_encoder.hpp"
#include "engines/engine_event.hpp"
#include "relay/exchange.hpp"
#include "relay/live_exchanges.hpp"
#include "relay/upstream_timer.hpp"

namespace sy::relay {

class ExchangeRun {
 public:
  // `in` and `result` live in run_completion's frame, which awaits the exchange and so outlives
  // this object. The phases write the attempt's result into `result`.
  ExchangeRun(const ExchangeInput& in, ExchangeResult& result);
  ~ExchangeRun();
  ExchangeRun(const ExchangeRun&) = delete;
  ExchangeRun& operator=(const ExchangeRun&) = delete;

  // Phases, in order (run_exchange runs them). Each writes the attempt's result when it ends
  // the attempt; the first two return whether the attempt goes on.
  boost::asio::awaitable<bool> acquire_and_send();
  boost::asio::awaitable<bool> triage_head();
  // After the head: the answer is read whole (relay_answer), or streamed (relay_stream).
  [[nodiscard]] bool wants_whole_answer() const noexcept;
  boost::asio::awaitable<void> relay_answer();
  boost::asio::awaitable<void> relay_stream();

 private:
  // Picks the adapter's shape and, for a stream, the encoder.
  void choose_encoding();
  [[nodiscard]] encoders::ChunkIdentity chunk_identity() const;

  boost::asio::awaitable<void> end_complete_stream(std::string& out, bool body_done,
                                                   bool read_failed, std::uint64_t tokens);
  boost::asio::awaitable<void> end_broken_stream(std::string& out, bool stream_failed,
                                                 bool request_fault, std::uint64_t tokens);
  void end_gone_stream(std::uint64_t tokens);

  // Results shared by the phases: each records in result_ how the attempt ended, and returns
  // false ("the attempt does not go on"), so that a phase can co_return it.
  bool record_client_gone();
  bool record_give_up();
  bool record_retryable(telemetry::UpstreamErrorKind kind);
  bool record_deadline(const char* message);

  // Reads the rest of the body into `out`, bounded by `limit`. False on error or overflow.
  boost::asio::awaitable<bool> read_body(std::string& out, std::size_t limit);
  // The engine connection is done with: back to the pool when `body_complete`, else closed.
  void finish_upstream(bool body_complete);
  // Restarts the phase timer: it fires at `activity_deadline` (or the deadline); in
  // the body phase it also has the connection rechecked while the stream is quiet.
  void arm_timer(TimePoint activity_deadline, bool body_phase);
  [[nodiscard]] TimerReason timer_fired() const noexcept { return timer_.fired(); }
  void stop_timer();

  const ExchangeInput& in_;
  telemetry::WorkerMetrics& metrics_;
  const config::Limits& limits_;
  ExchangeResult& result_;
  LiveExchange live_;  // lets shutdown end this exchange with a final event
  std::unique_ptr<EngineConnection> conn_;
  std::optional<LiveExchanges::Registration> registration_;
  UpstreamTimer timer_;  // after conn_: destroyed (and so cancelled) before it
  EngineHead head_;
  // How the engine's events are read and written for the client (set once the head arrived).
  engines::WireShape engine_shape_ = engines::WireShape::OpenAIChat;
  engines::WireShape client_shape_ = engines::WireShape::OpenAIChat;
  std::unique_ptr<encoders::StreamEncoder> encoder_;  // streams only
  engines::EventTally tally_;
};

}  // namespace sy::relay
