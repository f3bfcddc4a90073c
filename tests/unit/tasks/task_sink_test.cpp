// TaskSink on a real io_context: what the pipeline writes becomes the task's frames (started,
// metrics, token, end or error), the task's state follows, followers are woken, and a cancel
// ends the task at once with `end {canceled: true}`, after which nothing more is appended.

#include "tasks/task_sink.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <string>

#include "tasks/task_encoder.hpp"

namespace sy::tasks {
namespace {

namespace asio = boost::asio;

std::int64_t fixed_clock() noexcept { return 1'700'000'000'000; }

struct Listener final : relay::GoneListener {
  void client_gone() noexcept override { ++told; }
  int told = 0;
};

TaskRequest request() {
  TaskRequest r;
  r.model_ref = "m";
  r.prompt = "hi";
  return r;
}

std::string frames(const Task& task) {
  std::string out;
  EXPECT_EQ(task.frames().read_after(0, out), FrameLog::Read::Ok);
  return out;
}

// Runs `body` as a coroutine to completion.
template <typename F>
void run(F body) {
  asio::io_context io;
  asio::co_spawn(io, body(), asio::detached);
  io.run();
}

TEST(TaskSink, AStreamBecomesStartedTokensAndEnd) {
  Task task("t1", request(), {}, fixed_clock());
  TaskSink sink(task, &fixed_clock);
  run([&]() -> asio::awaitable<void> {
    std::string out;
    sink.append_queue_position(out, 1, 750);  // 0-based from admission: second in line
    EXPECT_TRUE(co_await sink.open_stream());
    EXPECT_TRUE(co_await sink.send_events(out));
    EXPECT_EQ(task.queue_position(), 2u);
    sink.placed("pool-a", "http://127.0.0.1:9");
    EXPECT_EQ(task.state(), TaskState::Running);
    auto encoder = sink.make_encoder({}, {}, {});
    engines::EngineEvent ev;
    ev.text = R"("Hi")";
    out.clear();
    encoder->encode(ev, out);
    encoder->encode(ev, out);
    EXPECT_TRUE(co_await sink.send_events(out));
    EXPECT_TRUE(co_await sink.end_stream(""));
  });
  EXPECT_EQ(task.state(), TaskState::Completed);
  EXPECT_EQ(task.tokens_out(), 2u);
  EXPECT_TRUE(task.frames().ended());
  EXPECT_EQ(frames(task),
            "id: 1\nevent: metrics\ndata: {\"queue_position\":2,\"predicted_start_ms\":750}\n\n"
            "id: 2\nevent: started\ndata: {\"queue_position\":2,\"predicted_start_ms\":750,"
            "\"pool_id\":\"pool-a\",\"replica_id\":\"http://127.0.0.1:9\"}\n\n"
            "id: 3\nevent: token\ndata: {\"t\":\"Hi\",\"i\":0}\n\n"
            "id: 4\nevent: token\ndata: {\"t\":\"Hi\",\"i\":1}\n\n"
            "id: 5\nevent: end\ndata: {\"tokens_out\":2,\"decode_time_ms\":0,\"decode_ms\":0}\n\n");
}

TEST(TaskSink, CancelEndsTheTaskAtOnceAndNothingFollows) {
  Task task("t2", request(), {}, fixed_clock());
  TaskSink sink(task, &fixed_clock);
  Listener listener;
  sink.watch(&listener);
  run([&]() -> asio::awaitable<void> {
    sink.placed("p", "r");
    std::string out;
    append_record(out, "token", R"({"t":"a","i":0})");
    EXPECT_TRUE(co_await sink.send_events(out));
    sink.cancel();
    EXPECT_EQ(listener.told, 1);  // the engine connection is closed now, not later
    EXPECT_TRUE(sink.gone());
    // What the pipeline still had in hand is dropped.
    EXPECT_FALSE(co_await sink.send_events(out));
    (void)co_await sink.end_stream(out);
    sink.cancel();  // idempotent
  });
  EXPECT_EQ(task.state(), TaskState::Canceled);
  const std::string all = frames(task);
  EXPECT_EQ(all.substr(all.rfind("id: ")),
            "id: 3\nevent: end\ndata: {\"tokens_out\":1,\"decode_time_ms\":0,\"decode_ms\":0,"
            "\"canceled\":true}\n\n");
  EXPECT_EQ(task.frames().last_id(), 3u);
  EXPECT_EQ(listener.told, 1);
}

TEST(TaskSink, AnErrorEndsTheStreamAndTheTaskFails) {
  Task task("t3", request(), {}, fixed_clock());
  TaskSink sink(task, &fixed_clock);
  run([&]() -> asio::awaitable<void> {
    sink.placed("p", "r");
    std::string out;
    sink.append_stream_error(
        out, Error{ErrorCode::StreamStalled, "The engine sent nothing for 30 s.", {}, 0});
    (void)co_await sink.end_stream(out);
  });
  EXPECT_EQ(task.state(), TaskState::Failed);
  ASSERT_TRUE(task.error());
  EXPECT_EQ(task.error()->code, ErrorCode::StreamStalled);
  const std::string all = frames(task);
  EXPECT_NE(all.find("event: error\ndata: {\"code\":\"DECODE_TIMEOUT\""), std::string::npos);
  EXPECT_EQ(all.find("event: end"), std::string::npos);  // exactly one terminal frame
}

TEST(TaskSink, ARefusalBeforeTheStreamIsAnErrorFrame) {
  Task task("t4", request(), {}, fixed_clock());
  TaskSink sink(task, &fixed_clock);
  run([&]() -> asio::awaitable<void> {
    // Named: GCC 12 destroys a braced temporary passed to a coroutine twice.
    const Error full{ErrorCode::QueueFull, "Full.", {}, 1000};
    (void)co_await sink.send_error(full);
  });
  EXPECT_EQ(task.state(), TaskState::Failed);
  EXPECT_EQ(frames(task),
            "id: 1\nevent: error\ndata: {\"code\":\"ADMISSION_REJECT\",\"message\":\"Full.\","
            "\"retriable\":true,\"retry_after_ms\":1000,\"policy_label\":\"reject\"}\n\n");
  std::string status;
  task.append_status(status);
  EXPECT_NE(status.find("\"state\":\"failed\""), std::string::npos);
  EXPECT_NE(status.find("\"error\":{\"code\":\"ADMISSION_REJECT\""), std::string::npos);
}

TEST(TaskSink, FollowersAreWokenByNewFrames) {
  asio::io_context io;
  Task task("t5", request(), {}, fixed_clock());
  TaskSink sink(task, &fixed_clock);
  asio::steady_timer waiter(io, asio::steady_timer::time_point::max());
  task.add_waiter(&waiter);
  bool woke = false;
  waiter.async_wait(
      [&](boost::system::error_code ec) { woke = ec == asio::error::operation_aborted; });
  sink.placed("p", "r");
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(woke);
  task.remove_waiter(&waiter);
}

}  // namespace
}  // namespace sy::tasks
