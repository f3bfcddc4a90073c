// libFuzzer target for the engine stream translators (engines::make_stream_translator) fed the way
// relay/exchange_stream.cpp feeds them: an sse::Parser over the engine's body bytes, one
// on_event per event, and nothing more once a translator said Done or EngineError. Built by the
// `fuzz` preset (docs/fuzzing.md).
//
// Input layout: byte 0 holds flags (bit 0: llama.cpp protocol, bit 1: a text completion rather
// than chat, bit 2: stream_options.include_usage), bytes 1-2 a cut point; the rest is the engine's
// body, used both as an SSE stream and as a whole JSON answer (translate_body). Properties:
//   1. content_events() never decreases, and no event reaches a translator after it answered
//      Done, EngineError or Malformed.
//   2. The body cut in two anywhere, or byte by byte, gives the same client bytes, the same last
//      result and the same token counts (the llama.cpp `created` timestamp aside).
//   3. The client bytes are complete SSE events. For OpenAI they are the engine's events again
//      (data and event name; [DONE] as data); for llama.cpp every event is [DONE] or a JSON
//      object simdjson accepts, except the engine's own error object passed through last.
//   4. translate_body: OpenAI returns the body unchanged; llama.cpp's answer, when it has one, is
//      valid JSON.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/completion_request.hpp"
#include "engines/engine_protocol.hpp"
#include "engines/stream_translator.hpp"
#include "fuzz_support.hpp"
#include "sse/sse_parser.hpp"

namespace {

using sy::engines::EventResult;
using sy::engines::Protocol;

// The relay's event limit for its default max_body_bytes (upstream_exchange.cpp).
constexpr std::size_t kRelayEventLimit = 1u << 20;

struct NamedData {
  std::string event;
  std::string data;
  bool operator==(const NamedData&) const = default;
};

struct RelayRun {
  std::string out;             // the client bytes
  std::vector<NamedData> fed;  // the events the translator was given
  EventResult last = EventResult::Continue;
  sy::sse::ParseStatus status = sy::sse::ParseStatus::Ok;
  std::uint64_t content_events = 0;
  std::uint64_t tokens_out = 0;
  std::uint64_t prompt_tokens = 0;
  bool operator==(const RelayRun&) const = default;
};

// The llama.cpp translator stamps chunks with time(nullptr); two runs may straddle a second.
std::string without_created(std::string text) {
  static constexpr std::string_view kKey = "\"created\":";
  for (std::size_t pos = text.find(kKey); pos != std::string::npos;
       pos = text.find(kKey, pos + 1)) {
    const std::size_t digits = pos + kKey.size();
    std::size_t end = digits;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    text.replace(digits, end - digits, "0");
  }
  return text;
}

bool same_relay(RelayRun a, RelayRun b) {
  a.out = without_created(std::move(a.out));
  b.out = without_created(std::move(b.out));
  return a == b;
}

RelayRun relay(Protocol protocol, const sy::api::CompletionRequest& request,
               const std::vector<std::string_view>& pieces) {
  auto translator = sy::engines::make_stream_translator(protocol, request, "fuzz-id");
  sy::sse::Parser parser(kRelayEventLimit);
  RelayRun run;
  bool stopped = false;
  auto on_event = [&](const sy::sse::Event& ev) {
    if (stopped) return;
    run.fed.push_back(NamedData{std::string(ev.event), std::string(ev.data)});
    const std::uint64_t before = translator->content_events();
    run.last = translator->on_event(ev, run.out);
    SY_FUZZ_CHECK(translator->content_events() >= before);
    stopped = run.last != EventResult::Continue;
  };
  for (const std::string_view piece : pieces) {
    if (stopped) break;
    run.status = parser.feed(piece, on_event);
    if (run.status != sy::sse::ParseStatus::Ok) break;
  }
  run.content_events = translator->content_events();
  run.tokens_out = translator->tokens_out();
  run.prompt_tokens = translator->prompt_tokens();
  return run;
}

bool is_json(std::string_view text) {
  static simdjson::dom::parser parser;
  simdjson::dom::element ignored;
  return !parser.parse(simdjson::padded_string(text)).get(ignored);
}

std::vector<NamedData> parse_client_bytes(std::string_view out) {
  sy::sse::Parser parser(std::size_t{1} << 30);
  std::vector<NamedData> events;
  const auto status = parser.feed(out, [&](const sy::sse::Event& ev) {
    events.push_back(NamedData{std::string(ev.event), std::string(ev.data)});
  });
  SY_FUZZ_CHECK(status == sy::sse::ParseStatus::Ok);
  // Every block the translators append ends with a blank line: nothing may be left pending.
  SY_FUZZ_CHECK(out.empty() || out.ends_with("\n\n"));
  return events;
}

void check_client_events(Protocol protocol, const RelayRun& run) {
  const std::vector<NamedData> sent = parse_client_bytes(run.out);
  if (protocol == Protocol::OpenAI) {
    std::vector<NamedData> expected;
    for (const NamedData& e : run.fed) {
      const bool plain = e.data == "[DONE]" || e.event.empty() || e.event == "message";
      expected.push_back(NamedData{plain ? std::string() : e.event, e.data});
    }
    SY_FUZZ_CHECK(sent == expected);
    return;
  }
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const bool engine_error_passed_through =
        i + 1 == sent.size() && run.last == EventResult::EngineError;
    SY_FUZZ_CHECK(sent[i].event.empty());
    SY_FUZZ_CHECK(sent[i].data == "[DONE]" || is_json(sent[i].data) || engine_error_passed_through);
  }
  if (run.last == EventResult::Done) SY_FUZZ_CHECK(!sent.empty() && sent.back().data == "[DONE]");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const Protocol protocol = (data[0] & 1) != 0 ? Protocol::LlamaCpp : Protocol::OpenAI;
  sy::api::CompletionRequest request;
  request.kind = (data[0] & 2) != 0 ? sy::api::CompletionKind::Text : sy::api::CompletionKind::Chat;
  request.include_usage = (data[0] & 4) != 0;
  request.stream = true;
  request.model = "fuzz-model";
  const std::size_t cut = sy::fuzz::u16_at(data + 1, 2);
  const std::string_view body(reinterpret_cast<const char*>(data + 3), size - 3);

  const RelayRun whole = relay(protocol, request, {body});
  SY_FUZZ_CHECK(same_relay(relay(protocol, request, sy::fuzz::two_pieces(body, cut)), whole));
  if (body.size() <= sy::fuzz::kMaxBytewiseInput) {
    SY_FUZZ_CHECK(same_relay(relay(protocol, request, sy::fuzz::byte_pieces(body)), whole));
  }
  // The llama.cpp translator only takes over text completions (make_stream_translator).
  const bool llamacpp =
      protocol == Protocol::LlamaCpp && request.kind == sy::api::CompletionKind::Text;
  check_client_events(llamacpp ? Protocol::LlamaCpp : Protocol::OpenAI, whole);

  auto translator = sy::engines::make_stream_translator(protocol, request, "fuzz-id");
  const auto translated = translator->translate_body(body);
  if (!llamacpp) {
    SY_FUZZ_CHECK(translated && *translated == body);
  } else if (translated) {
    SY_FUZZ_CHECK(is_json(*translated));
  }
  return 0;
}
