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

// Serves `request` to the end. `sink` outlives the call. Whether the client's connection can
// serve another request afterwards is the sink's to say (a complete answer and the client still
// there).
[[nodiscard]] boost::asio::awaitable<void> run_completion(RelayDeps deps, RequestInfo info,
                                                          api::CompletionRequest request,
                                                          StreamSink* sink);

// Answers with a coded error: as its own response while nothing was sent, else as an error event
// that ends the stream. Logs it and counts it under the request's route. Returns whether the
// write succeeded.
[[nodiscard]] boost::asio::awaitable<bool> answer_error(RelayDeps deps, const RequestInfo* info,
                                                        StreamSink* sink, Error error);

}  // namespace sy::relay
