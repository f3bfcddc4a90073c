#pragma once
// The request pipeline of one OpenAI-compatible completion (chat or text), whatever transport
// brought it: fast checks against the registry, priority and deadline, admission (a free slot on
// this thread, or a ticket to the scheduler and a wait), then attempts on engine endpoints with
// retries, each one an exchange (relay/exchange.hpp). Everything the client receives goes to its
// StreamSink.

#include <boost/asio/awaitable.hpp>

#include "api/completion_request.hpp"
#include "common/error.hpp"
#include "relay/relay_deps.hpp"
#include "relay/request_info.hpp"
#include "relay/stream_sink.hpp"

namespace sy::relay {

// Serves `request` to the end. Every pointer outlives the call: the caller awaits it, and a
// stream's whole chain of coroutine frames stays allocated while it runs, so each object is held
// once, in the caller's frame, not copied into every frame below it (docs/architecture.md).
// The pipeline may move parts of `request` out (a stream that started frees its bodies).
// Whether the client's connection can serve another request afterwards is the sink's to say (a
// complete answer and the client still there).
[[nodiscard]] boost::asio::awaitable<void> run_completion(const RelayDeps* deps,
                                                          const RequestInfo* info,
                                                          api::CompletionRequest* request,
                                                          StreamSink* sink);

// Answers with a coded error: as its own response while nothing was sent, else as an error event
// that ends the stream. Logs it and counts it under the request's route. Returns whether the
// write succeeded. Every pointer outlives the call.
[[nodiscard]] boost::asio::awaitable<bool> answer_error(const RelayDeps* deps,
                                                        const RequestInfo* info, StreamSink* sink,
                                                        const Error* error);

}  // namespace sy::relay
