#include "http/task_routes.hpp"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <memory>
#include <optional>
#include <string>

#include "api/completion_request.hpp"
#include "common/ids.hpp"
#include "common/json_writer.hpp"
#include "http/connection.hpp"
#include "http/http1_sink.hpp"
#include "http/openapi_document.hpp"
#include "http/request_head.hpp"
#include "http/route_answer.hpp"
#include "relay/completion_pipeline.hpp"
#include "tasks/error_envelope.hpp"
#include "tasks/task_request.hpp"
#include "tasks/task_table.hpp"
#include "telemetry/log.hpp"

namespace sy::http {

namespace asio = boost::asio;

namespace {

constexpr auto kToken = asio::as_tuple(asio::use_awaitable);

// How long POST /v1/tasks waits for admission's first answer (started, queued with a position, or
// refused) before it answers 202 with what it knows. Admission answers within a round trip to the
// control thread; this bound only matters if that thread is stuck.
constexpr auto kAdmissionAnswerWait = std::chrono::seconds(2);

// The {id} of /v1/tasks/{id}[/stream|/cancel].
std::string task_id_of(std::string_view path) {
  std::string_view rest = path.substr(kTaskPathPrefix.size());
  return std::string(rest.substr(0, rest.find('/')));
}

Error task_not_found(std::string_view id) {
  return Error{ErrorCode::TaskNotFound,
               fmt::format("No task '{}' is known here (or it ended longer ago than the frames "
                           "are kept).",
                           id),
               {},
               0};
}

// Where the task of the request's path lives: on this thread (`run`), on another (`elsewhere`),
// or nowhere (neither set).
struct Located {
  std::shared_ptr<tasks::TaskRun> run;
  Worker* elsewhere = nullptr;
};
Located locate(RequestContext& rc) {
  const std::string id = task_id_of(rc.path());
  if (!tasks::valid_id(id)) return {};
  const auto home = rc.worker.shared.task_directory.home_of(id);
  if (!home) return {};
  if (*home != rc.worker.index) return {nullptr, rc.worker.shared.workers[*home]};
  return {rc.worker.tasks.find(id), nullptr};
}

// The OpenAI-shaped request the relay runs for a task: a streamed text completion.
api::CompletionRequest completion_request_for(const tasks::TaskRequest& task) {
  api::CompletionRequest r;
  r.kind = api::CompletionKind::Text;
  r.model = task.model_ref;
  r.stream = true;
  r.max_tokens = task.max_tokens;
  r.estimated_prompt_tokens = task.estimated_prompt_tokens();
  JsonWriter w(r.upstream_body);
  w.begin_object().field("model", std::string_view(task.model_ref));
  if (!task.inputs.empty()) {
    w.key("prompt").begin_array();
    for (const std::string& input : task.inputs) w.value(std::string_view(input));
    w.end_array();
  } else {
    w.field("prompt", std::string_view(task.prompt));
  }
  w.field("stream", true);
  if (task.max_tokens) w.field("max_tokens", static_cast<std::uint64_t>(*task.max_tokens));
  if (task.seed) w.field("seed", *task.seed);
  w.end_object();
  return r;
}

// What the pipeline knows of a task's request: the POST's correlation id, arrival and deadline
// headers, and the task's priority, deadline budget and session.
relay::RequestInfo task_info(const RequestContext& rc, const tasks::TaskRequest& task) {
  relay::RequestInfo info;
  info.correlation_id = rc.info.correlation_id;
  info.arrived = rc.info.arrived;
  info.route = telemetry::Route::TaskRun;  // the run's outcome, apart from the POST's 202
  info.config = rc.worker.registry()->config;
  const std::string timeout =
      task.deadline_ms ? std::to_string(*task.deadline_ms) : std::string(rc.info.timeout_ms());
  info.headers.set({task.priority == tasks::TaskPriority::Batch ? "batch" : "interactive",
                    rc.info.deadline(),
                    timeout,
                    task.session_id,
                    {}});
  return info;
}

// Runs a task through the relay's pipeline, whoever follows it, then keeps it for its retention.
asio::awaitable<void> run_task(Worker* worker, std::shared_ptr<tasks::TaskRun> run) {
  api::CompletionRequest request = completion_request_for(run->task.request());
  co_await relay::run_completion(&worker->relay_deps(), &run->info, &request, &run->sink);
  run->sink.ensure_finished();
  // Kept for its status and frames only: what the run needed goes (a configuration snapshot
  // held by a retained task would keep a replaced configuration alive).
  run->info.config.reset();
  run->info.headers = {};
  worker->tasks.retain(*run);
}

// Wakes a follower whose client left.
class WakeOnGone final : public relay::GoneListener {
 public:
  explicit WakeOnGone(asio::steady_timer& wake) : wake_(wake) {}
  void client_gone() noexcept override { wake_.cancel(); }

 private:
  asio::steady_timer& wake_;
};

// Last-Event-ID as a frame id; 0 when absent, nullopt when not a number.
std::optional<std::uint64_t> resume_point(std::string_view header) {
  if (header.empty()) return 0;
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), id);
  if (ec != std::errc() || end != header.data() + header.size()) return std::nullopt;
  return id;
}

}  // namespace

asio::awaitable<bool> serve_task_submit(RequestContext& rc) {
  auto parsed = tasks::parse_task_request(rc.body);
  if (!parsed) co_return co_await answer_native_error(rc, parsed.error());
  if (parsed->task_id.empty()) parsed->task_id = make_uuid_v4();
  const std::string id = parsed->task_id;
  switch (rc.worker.shared.task_directory.reserve(id, rc.worker.index)) {
    case tasks::TaskDirectory::Reserve::Exists: {
      const Error exists{ErrorCode::TaskExists, fmt::format("A task '{}' exists already.", id),
                         "task_id", 0};
      co_return co_await answer_native_error(rc, exists);
    }
    case tasks::TaskDirectory::Reserve::Full: {
      const Error full{ErrorCode::QueueFull,
                       "The server holds as many tasks as it may; retry when some have ended.",
                       {},
                       1000};
      co_return co_await answer_native_error(rc, full);
    }
    case tasks::TaskDirectory::Reserve::Ok:
      break;
  }
  const std::shared_ptr<tasks::TaskRun> run = rc.worker.tasks.create(id, std::move(*parsed));
  run->info = task_info(rc, run->task.request());
  asio::co_spawn(
      rc.worker.io, run_task(&rc.worker, run), [worker = &rc.worker, run](std::exception_ptr e) {
        if (!e) return;
        // The run broke on an unexpected error: the task still ends, with an error
        // frame its followers see, and is kept for its retention like any other.
        telemetry::log_event(telemetry::LogLevel::Error, "task_failed", run->info.correlation_id,
                             "A task's run ended on an unexpected error.");
        run->sink.ensure_finished();
        worker->tasks.retain(*run);
      });

  // The 202 tells the real queue position, so it waits for admission's first answer.
  asio::steady_timer wake(rc.worker.io);
  run->task.add_waiter(&wake);
  const TimePoint until = Clock::now() + kAdmissionAnswerWait;
  while (run->task.state() == tasks::TaskState::Queued && !run->task.queue_position() &&
         Clock::now() < until) {
    wake.expires_at(until);
    (void)co_await wake.async_wait(kToken);
  }
  run->task.remove_waiter(&wake);

  if (run->task.state() == tasks::TaskState::Failed && run->task.started_unix_ms() == 0 &&
      run->task.error()) {
    // Refused at admission: not accepted, so not kept (no 202 named it).
    const Error refusal = *run->task.error();
    rc.worker.tasks.forget(id, run.get());
    co_return co_await answer_native_error(rc, refusal);
  }
  std::string body;
  JsonWriter(body)
      .begin_object()
      .field("task_id", std::string_view(id))
      .field("queue_position", static_cast<std::uint64_t>(run->task.queue_position().value_or(0)))
      .field("predicted_start_ms", run->task.predicted_start_ms())
      .field("backoff_ms", std::uint64_t{0})
      .end_object();
  co_return co_await answer(rc, 202, "application/json", body);
}

asio::awaitable<bool> serve_task_status(RequestContext& rc) {
  const Located at = locate(rc);
  if (at.elsewhere != nullptr) co_return hand_over(rc, *at.elsewhere);
  if (!at.run) {
    const Error missing = task_not_found(task_id_of(rc.path()));
    co_return co_await answer_native_error(rc, missing);
  }
  std::string body;
  at.run->task.append_status(body);
  co_return co_await answer(rc, 200, "application/json", body);
}

asio::awaitable<bool> serve_task_cancel(RequestContext& rc) {
  const Located at = locate(rc);
  if (at.elsewhere != nullptr) co_return hand_over(rc, *at.elsewhere);
  if (!at.run) {
    const Error missing = task_not_found(task_id_of(rc.path()));
    co_return co_await answer_native_error(rc, missing);
  }
  // On this thread, before the answer: no token frame can follow the 204.
  at.run->sink.cancel();
  rc.worker.metrics.count_request(rc.info.route, 204);
  co_return co_await write_response(rc.client, 204, {}, {}, rc.info.correlation_id, rc.reply()) &&
      rc.keep_alive;
}

asio::awaitable<bool> serve_task_stream(RequestContext& rc) {
  const Located at = locate(rc);
  if (at.elsewhere != nullptr) co_return hand_over(rc, *at.elsewhere);
  if (!at.run) {
    const Error missing = task_not_found(task_id_of(rc.path()));
    co_return co_await answer_native_error(rc, missing);
  }
  const std::optional<std::uint64_t> resume = resume_point(rc.info.last_event_id());
  if (!resume) {
    const Error bad{ErrorCode::InvalidParams, "Last-Event-ID must be a frame id (a number).",
                    "Last-Event-ID", 0};
    co_return co_await answer_native_error(rc, bad);
  }
  const std::shared_ptr<tasks::TaskRun> run = at.run;
  const tasks::FrameLog& log = run->task.frames();
  std::uint64_t after = *resume;  // the last frame id this follower has been sent
  std::string out;
  std::uint64_t read_upto = log.last_id();  // the last frame id in `out`
  if (log.read_after(after, out) == tasks::FrameLog::Read::Gone) {
    const Error expired{
        ErrorCode::FramesExpired,
        fmt::format("Frames after {} of task '{}' are no longer kept.", after, run->task.id()),
        "Last-Event-ID", 0};
    co_return co_await answer_native_error(rc, expired);
  }
  if (rc.head_only) {
    rc.worker.metrics.count_request(rc.info.route, 200);
    co_return co_await write_response(rc.client, 200, "text/event-stream", {},
                                      rc.info.correlation_id, rc.reply()) &&
        rc.keep_alive;
  }
  rc.worker.metrics.count_request(rc.info.route, 200);
  if (rc.http10) rc.keep_alive = false;
  SseSink sink(rc.client, rc.client_buffer, rc.info.correlation_id, rc.reply(),
               rc.http10 ? SseSink::Framing::CloseDelimited : SseSink::Framing::Chunked);
  asio::steady_timer wake(rc.worker.io);
  WakeOnGone on_gone(wake);
  sink.watch(&on_gone);
  run->task.add_waiter(&wake);
  bool ok = co_await sink.open_stream();
  while (ok) {
    // Frames are read and sent before this follower waits, and nothing else runs in between on
    // this thread: a frame appended while a write waited is read on the next turn.
    if (!out.empty()) {
      after = read_upto;
      ok = co_await sink.send_events(out);
      out.clear();
      if (!ok) break;
    }
    if (log.ended() && after >= log.last_id()) {
      ok = co_await sink.end_stream({});
      break;
    }
    if (sink.gone()) break;
    read_upto = log.last_id();
    if (log.read_after(after, out) == tasks::FrameLog::Read::Gone) {
      // This follower fell further behind than the frames are kept: it cannot go on without a
      // gap, so it is told (an event without an id) and its stream ends.
      std::string event = "event: error\ndata: ";
      tasks::append_error_envelope(
          event, Error{ErrorCode::FramesExpired,
                       "This stream fell behind further than the task's frames are kept.",
                       {},
                       0});
      event += "\n\n";
      ok = co_await sink.end_stream(event);
      break;
    }
    if (out.empty()) {
      wake.expires_at(asio::steady_timer::time_point::max());
      (void)co_await wake.async_wait(kToken);
    }
  }
  run->task.remove_waiter(&wake);
  co_await sink.stop_watch();
  co_return ok&& sink.reusable();
}

asio::awaitable<bool> serve_openapi(RequestContext& rc) {
  rc.worker.metrics.count_request(rc.info.route, 200);
  co_return co_await write_response(rc.client, 200, "application/yaml", openapi_document(),
                                    rc.info.correlation_id, rc.reply()) &&
      rc.keep_alive;
}

}  // namespace sy::http
