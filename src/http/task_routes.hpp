#pragma once
// The native task API's routes (api/openapi.yaml): submit, status, stream (with resume), cancel,
// and the contract itself. A task lives on the I/O thread that accepted it; a request for it
// that arrives on another thread moves its connection there first (hand_over), so a task's state
// and frames are only ever touched by one thread.

#include <boost/asio/awaitable.hpp>

#include "http/request_context.hpp"

namespace sy::http {

// POST /v1/tasks: 202 {task_id, queue_position, predicted_start_ms, backoff_ms} once admission
// has placed the task (started, or queued with its position); a refusal at admission is answered
// with its status and error envelope instead, and the task is forgotten.
[[nodiscard]] boost::asio::awaitable<bool> serve_task_submit(RequestContext& rc);
// GET /v1/tasks/{id}: the task's TaskStatus.
[[nodiscard]] boost::asio::awaitable<bool> serve_task_status(RequestContext& rc);
// GET /v1/tasks/{id}/stream: the task's frames after Last-Event-ID (all without it), then the
// new ones as they come, until the terminal frame; 410 when frames it needs were dropped.
[[nodiscard]] boost::asio::awaitable<bool> serve_task_stream(RequestContext& rc);
// POST /v1/tasks/{id}/cancel: 204 once the task is canceled (or had ended).
[[nodiscard]] boost::asio::awaitable<bool> serve_task_cancel(RequestContext& rc);
// GET /openapi.yaml: the contract above.
[[nodiscard]] boost::asio::awaitable<bool> serve_openapi(RequestContext& rc);

}  // namespace sy::http
