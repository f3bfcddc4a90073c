#include "relay/stream_sink.hpp"

#include <fmt/format.h>

#include "api/error_body.hpp"
#include "sse/sse_writer.hpp"

namespace sy::relay {

std::unique_ptr<encoders::StreamEncoder> StreamSink::make_encoder(
    engines::WireShape client, engines::WireShape engine, encoders::ChunkIdentity identity) {
  return encoders::make_stream_encoder(client, engine, std::move(identity));
}

void StreamSink::append_queue_position(std::string& out, std::size_t position,
                                       std::uint64_t /*predicted_start_ms*/) {
  // A comment, which OpenAI clients ignore.
  sse::append_comment(out, fmt::format("queued position={}", position + 1));
}

void StreamSink::append_stream_error(std::string& out, const Error& error) {
  sse::append_data_event(out, api::error_body(error));
  sse::append_done(out);
}

void StreamSink::append_end_after_error(std::string& out) { sse::append_done(out); }

void StreamSink::append_answer_event(std::string& out, int /*status*/, std::string_view body) {
  sse::append_data_event(out, body);
  sse::append_done(out);
}

}  // namespace sy::relay
