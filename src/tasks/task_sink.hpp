#pragma once
// TaskSink: the relay's StreamSink for a native task. What the pipeline writes becomes frames of
// the task's FrameLog (started, token, metrics, end, error; api/openapi.yaml), whether or not
// anyone follows; followers are woken after each batch.
//
// Cancel is race-free because everything happens on the task's thread: cancel() writes the
// terminal `end {canceled: true}` frame and ends the log before it returns, and it tells the
// pipeline's listener, which closes the engine connection at once; whatever the pipeline writes
// afterwards finds the log ended and is dropped.
// Thread: the task's home I/O thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "relay/stream_sink.hpp"
#include "tasks/task.hpp"

namespace sy::tasks {

class TaskSink final : public relay::StreamSink {
 public:
  // `predicted_start_ms`: what admission predicted, repeated in the `started` frame.
  // `clock_unix_ms`: the wall clock (a test may drive it).
  TaskSink(Task& task, std::int64_t (*clock_unix_ms)() noexcept);

  // Cancels the task (see above). Nothing happens once it finished.
  void cancel();
  // Ends a task the pipeline left without a terminal frame (it cannot, but a task must end).
  void ensure_finished();

  // ---- relay::StreamSink ----
  boost::asio::awaitable<bool> send_answer(int status, std::string_view content_type,
                                           std::string_view body,
                                           std::string_view retry_after) override;
  boost::asio::awaitable<bool> send_error(const Error& error) override;
  boost::asio::awaitable<bool> open_stream() override;
  boost::asio::awaitable<bool> send_events(std::string_view records) override;
  boost::asio::awaitable<bool> end_stream(std::string_view records) override;
  [[nodiscard]] bool stream_open() const noexcept override { return stream_open_; }

  [[nodiscard]] std::unique_ptr<encoders::StreamEncoder> make_encoder(
      engines::WireShape client, engines::WireShape engine,
      encoders::ChunkIdentity identity) override;
  void append_queue_position(std::string& out, std::size_t position,
                             std::uint64_t predicted_start_ms) override;
  void append_stream_error(std::string& out, const Error& error) override;
  void append_end_after_error(std::string& out) override;
  void append_answer_event(std::string& out, int status, std::string_view body) override;
  void placed(std::string_view pool_id, std::string_view replica_id) override;

  void watch(relay::GoneListener* listener) override { listener_ = listener; }
  [[nodiscard]] bool gone() const noexcept override { return canceled_; }
  void mark_gone() noexcept override;

 private:
  // Appends the records' frames; true when one was an error (the task then failed).
  bool append_records(std::string_view records);
  void fail(const Error& error);
  // Appends the terminal `end` frame.
  void append_end(std::int64_t now, bool canceled);

  Task& task_;
  std::int64_t (*clock_unix_ms_)() noexcept;
  relay::GoneListener* listener_ = nullptr;
  bool stream_open_ = false;
  bool canceled_ = false;
  // The error of the last error frame the pipeline wrote (what the task's status reports).
  std::optional<Error> stream_error_;
  std::string scratch_;  // one frame's data being built
};

}  // namespace sy::tasks
