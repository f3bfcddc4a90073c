#pragma once
// Byte builders for everything the simulator writes: HTTP heads, chunked framing, SSE chunks in
// the OpenAI and llama.cpp shapes, complete JSON bodies and error envelopes. Pure functions that
// append to a caller-owned buffer, so a reused buffer means no allocation per token.

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/sim_request.hpp"

namespace sy::sim {

// ---- HTTP/1.1 framing ----

// Status line and headers of a response with a body of `content_length` bytes. `extra_headers`
// are complete header lines, each ending in CRLF.
void append_response_head(std::string& out, int status, std::string_view content_type,
                          std::size_t content_length, bool keep_alive,
                          std::string_view extra_headers = {});
// Status line and headers of a chunked text/event-stream response.
void append_stream_head(std::string& out, bool keep_alive);
// Frames `payload` as one HTTP/1.1 chunk: "<hex size>\r\n<payload>\r\n".
void append_chunk(std::string& out, std::string_view payload);
// The terminating zero-size chunk.
void append_last_chunk(std::string& out);

// An OpenAI error envelope {"error":{"message","type","param","code"}}.
void append_error_body(std::string& out, std::string_view message, std::string_view type,
                       std::string_view param, std::string_view code);
// The OpenAI error `type` a status maps to (400 → invalid_request_error, 5xx → server_error, ...).
[[nodiscard]] std::string_view error_type_for_status(int status) noexcept;

// ---- Generation output ----

// Identity of one response, fixed for its lifetime.
struct ResponseIdentity {
  SimApi api = SimApi::ChatCompletions;
  std::uint64_t number = 0;  // the n in chatcmpl-sim-<n> / cmpl-sim-<n>
  std::int64_t created = 0;  // unix seconds
  std::string_view model;
  int slot = 0;  // llama.cpp id_slot
};

// The bytes of one streamed token event are head + token + tail_before_count + [count] +
// tail_after_count, where count (tokens predicted so far) appears only for the llama.cpp API.
// Built once per stream so each token costs two memcpy's and a chunk header.
struct TokenEventTemplate {
  std::string head;
  std::string tail_before_count;
  std::string tail_after_count;
  bool with_count = false;

  void build(const ResponseIdentity& id);
  // Appends the token event for token `text` (the `index`-th, 0-based) as one HTTP chunk.
  void append_chunk_for(std::string& out, std::string_view text, std::int64_t index) const;
};

// The OpenAI chat role chunk (delta {"role":"assistant","content":""}) as one HTTP chunk.
void append_role_chunk(std::string& out, const ResponseIdentity& id);

struct StreamEnd {
  std::int64_t completion_tokens = 0;
  std::int64_t prompt_tokens = 0;
  bool include_usage = false;
};
// Everything after the last token as HTTP chunks, ending with the terminating chunk:
// OpenAI → finish chunk, optional usage chunk, [DONE]; llama.cpp → the stop event (no [DONE]).
void append_stream_end(std::string& out, const ResponseIdentity& id, const StreamEnd& end);

// The complete non-streaming JSON body for `completion_tokens` tokens from `seed`.
void append_unary_body(std::string& out, const ResponseIdentity& id, std::int64_t seed,
                       const StreamEnd& end);

}  // namespace sy::sim
