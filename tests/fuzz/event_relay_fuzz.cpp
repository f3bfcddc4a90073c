// libFuzzer target for the relay's per-event path: the engine adapters (engines::decode_event)
// and the output encoders (encoders::make_stream_encoder), fed the way relay/exchange_stream.cpp
// feeds them: an sse::Parser over the engine's body bytes, per event decode_event →
// EventTally::count → encode, and nothing more once an event ended the stream or was an error.
// Also the whole-answer path (decode_answer → encode_answer). Built by the `fuzz` preset
// (docs/fuzzing.md). Was `stream_translator` before the translator became adapters + encoders.
//
// Input layout (unchanged from stream_translator, so its corpus still applies): byte 0 holds
// flags (bit 0: llama.cpp protocol, bit 1: a text completion rather than chat, bit 2:
// stream_options.include_usage), bytes 1-2 a cut point; the rest is the engine's body, used both
// as an SSE stream and as a whole answer. Properties:
//   1. The tally's content_events() never decreases, and never exceeds the events decoded.
//   2. The body cut in two anywhere, or byte by byte, gives the same client bytes, the same
//      events decoded, the same last status and the same tallies.
//   3. The client bytes are complete SSE events. When the engine speaks the client's shape
//      (pass-through) they are the engine's events again (data and event name; [DONE] as data).
//      Otherwise (llama.cpp's native completions) every event is [DONE] or a JSON text
//      (json::validate), except the engine's own error object passed through last; each event
//      that carried text gave exactly one chunk with a null finish reason; a stream that ended
//      ends with [DONE], and one cut by an unreadable event ends with the upstream_error event.
//   4. encode_answer: pass-through returns the body unchanged; llama.cpp's answer succeeds
//      exactly when decode_answer found it readable, and is then valid JSON.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_scan.hpp"
#include "encoders/answer_encoder.hpp"
#include "encoders/stream_encoder.hpp"
#include "engines/engine_protocol.hpp"
#include "fuzz_support.hpp"
#include "sse/sse_parser.hpp"

namespace {

using sy::engines::EventStatus;
using sy::engines::Protocol;
using sy::engines::WireShape;

// The relay's event limit for its default max_body_bytes (relay/exchange_stream.cpp).
constexpr std::size_t kRelayEventLimit = 1u << 20;

struct NamedData {
  std::string event;
  std::string data;
  bool operator==(const NamedData&) const = default;
};

struct Shapes {
  WireShape client;
  WireShape engine;
  bool include_usage;
  [[nodiscard]] bool pass_through() const { return client == engine; }
};

sy::encoders::ChunkIdentity identity(const Shapes& shapes) {
  return sy::encoders::ChunkIdentity{"cmpl-fuzz-id", "fuzz-model", 1700000000,
                                     shapes.include_usage};
}

struct RelayRun {
  std::string out;             // the client bytes
  std::vector<NamedData> fed;  // the events decoded
  EventStatus last_status = EventStatus::Ok;
  bool ended = false;  // the terminal event arrived
  sy::sse::ParseStatus status = sy::sse::ParseStatus::Ok;
  std::uint64_t content_events = 0;
  std::uint64_t tokens_out = 0;
  std::uint64_t prompt_tokens = 0;
  bool operator==(const RelayRun&) const = default;
};

RelayRun relay(const Shapes& shapes, const std::vector<std::string_view>& pieces) {
  auto encoder = sy::encoders::make_stream_encoder(shapes.client, shapes.engine, identity(shapes));
  sy::engines::EventTally tally;
  sy::sse::Parser parser(kRelayEventLimit);
  RelayRun run;
  bool stopped = false;
  auto on_event = [&](const sy::sse::Event& ev) {
    if (stopped) return;
    run.fed.push_back(NamedData{std::string(ev.event), std::string(ev.data)});
    const sy::engines::EngineEvent event = sy::engines::decode_event(shapes.engine, ev);
    const std::uint64_t before = tally.content_events();
    tally.count(event);
    SY_FUZZ_CHECK(tally.content_events() >= before);
    SY_FUZZ_CHECK(tally.content_events() <= run.fed.size());
    encoder->encode(event, run.out);
    run.last_status = event.status;
    run.ended = event.status == EventStatus::Ok && event.end;
    stopped = run.ended || event.status != EventStatus::Ok;
  };
  for (const std::string_view piece : pieces) {
    if (stopped) break;
    run.status = parser.feed(piece, on_event);
    if (run.status != sy::sse::ParseStatus::Ok) break;
  }
  run.content_events = tally.content_events();
  run.tokens_out = tally.tokens_out();
  run.prompt_tokens = tally.prompt_tokens();
  return run;
}

bool is_json(std::string_view text) { return sy::json::validate(text).ok(); }

std::vector<NamedData> parse_client_bytes(std::string_view out) {
  sy::sse::Parser parser(std::size_t{1} << 30);
  std::vector<NamedData> events;
  const auto status = parser.feed(out, [&](const sy::sse::Event& ev) {
    events.push_back(NamedData{std::string(ev.event), std::string(ev.data)});
  });
  SY_FUZZ_CHECK(status == sy::sse::ParseStatus::Ok);
  // Every block the encoders append ends with a blank line: nothing may be left pending.
  SY_FUZZ_CHECK(out.empty() || out.ends_with("\n\n"));
  return events;
}

void check_client_events(const Shapes& shapes, const RelayRun& run) {
  const std::vector<NamedData> sent = parse_client_bytes(run.out);
  if (shapes.pass_through()) {
    std::vector<NamedData> expected;
    for (const NamedData& e : run.fed) {
      const bool plain = e.data == "[DONE]" || e.event.empty() || e.event == "message";
      expected.push_back(NamedData{plain ? std::string() : e.event, e.data});
    }
    SY_FUZZ_CHECK(sent == expected);
    return;
  }
  std::uint64_t text_chunks = 0;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const bool last = i + 1 == sent.size();
    const bool engine_error_passed_through = last && run.last_status == EventStatus::EngineError;
    SY_FUZZ_CHECK(sent[i].event.empty());
    SY_FUZZ_CHECK(sent[i].data == "[DONE]" || is_json(sent[i].data) || engine_error_passed_through);
    if (!engine_error_passed_through &&
        sent[i].data.find("\"finish_reason\":null}") != std::string::npos) {
      ++text_chunks;
    }
  }
  SY_FUZZ_CHECK(text_chunks == run.content_events);
  if (run.ended) SY_FUZZ_CHECK(!sent.empty() && sent.back().data == "[DONE]");
  if (run.last_status == EventStatus::Malformed) {
    SY_FUZZ_CHECK(!sent.empty() &&
                  sent.back().data.find("\"code\":\"upstream_error\"") != std::string::npos);
  }
}

void check_answer(const Shapes& shapes, std::string_view body) {
  const sy::engines::EngineAnswer answer = sy::engines::decode_answer(shapes.engine, body);
  SY_FUZZ_CHECK(answer.raw == body);
  const auto encoded =
      sy::encoders::encode_answer(shapes.client, shapes.engine, answer, identity(shapes));
  if (shapes.pass_through()) {
    SY_FUZZ_CHECK(encoded && *encoded == body);
    return;
  }
  SY_FUZZ_CHECK(encoded.has_value() == answer.readable);
  if (encoded) SY_FUZZ_CHECK(is_json(*encoded));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const Protocol protocol = (data[0] & 1) != 0 ? Protocol::LlamaCpp : Protocol::OpenAI;
  const bool chat = (data[0] & 2) == 0;
  // The shapes the relay picks (relay/request_shapes.hpp, engines::wire_shape).
  const Shapes shapes{chat ? WireShape::OpenAIChat : WireShape::OpenAICompletions,
                      sy::engines::wire_shape(protocol, chat), (data[0] & 4) != 0};
  const std::size_t cut = sy::fuzz::u16_at(data + 1, 2);
  const std::string_view body(reinterpret_cast<const char*>(data + 3), size - 3);

  const RelayRun whole = relay(shapes, {body});
  SY_FUZZ_CHECK(relay(shapes, sy::fuzz::two_pieces(body, cut)) == whole);
  if (body.size() <= sy::fuzz::kMaxBytewiseInput) {
    SY_FUZZ_CHECK(relay(shapes, sy::fuzz::byte_pieces(body)) == whole);
  }
  check_client_events(shapes, whole);
  check_answer(shapes, body);
  return 0;
}
