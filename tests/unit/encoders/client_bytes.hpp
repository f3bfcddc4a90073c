#pragma once
// Test helpers for the encoders: the client's bytes split back into events, a JSON document that
// lives as long as a test needs it, and the relay's per-event loop (decode, count, encode).

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "encoders/stream_encoder.hpp"
#include "engines/engine_protocol.hpp"
#include "sse/sse_parser.hpp"

namespace sy::encoders::testing {

struct ClientEvent {
  std::string event;
  std::string data;
  bool operator==(const ClientEvent&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const ClientEvent& e) {
  return os << "{event='" << e.event << "' data='" << e.data << "'}";
}

// Splits SSE output back into events, checking that it parses cleanly and completely.
inline std::vector<ClientEvent> parse_sse(std::string_view bytes) {
  std::vector<ClientEvent> events;
  sse::Parser parser;
  const auto status = parser.feed(bytes, [&](const sse::Event& e) {
    events.push_back({std::string(e.event), std::string(e.data)});
  });
  EXPECT_EQ(status, sse::ParseStatus::Ok);
  EXPECT_TRUE(bytes.empty() || bytes.ends_with("\n\n")) << bytes;
  return events;
}

struct Json {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
};

inline void parse_json(std::string_view text, Json& out) {
  ASSERT_FALSE(out.parser.parse(simdjson::padded_string(text)).get(out.root)) << text;
}

inline std::string_view str(simdjson::simdjson_result<simdjson::dom::element> e) {
  std::string_view s;
  EXPECT_FALSE(e.get_string().get(s));
  return s;
}

inline std::uint64_t uint(simdjson::simdjson_result<simdjson::dom::element> e) {
  std::uint64_t v = 0;
  EXPECT_FALSE(e.get_uint64().get(v));
  return v;
}

// What a relay of one engine body produced.
struct Relayed {
  std::string out;  // the client's bytes
  std::uint64_t content_events = 0;
  std::uint64_t tokens_out = 0;
  std::uint64_t prompt_tokens = 0;
  std::size_t events = 0;  // events given to the encoder
  engines::EventStatus last_status = engines::EventStatus::Ok;
  bool ended = false;  // the terminal event arrived
};

// Feeds `body` to an sse::Parser in pieces of `piece` bytes (0: whole) and each event through
// decode_event, EventTally and the encoder, as relay/exchange_stream.cpp does: nothing more once
// an event ended the stream or was an error.
inline Relayed relay(engines::WireShape client, engines::WireShape engine, std::string_view body,
                     std::size_t piece = 0, ChunkIdentity identity = {}) {
  auto encoder = make_stream_encoder(client, engine, std::move(identity));
  engines::EventTally tally;
  sse::Parser parser;
  Relayed r;
  bool stopped = false;
  auto on_event = [&](const sse::Event& ev) {
    if (stopped) return;
    const engines::EngineEvent event = engines::decode_event(engine, ev);
    tally.count(event);
    encoder->encode(event, r.out);
    ++r.events;
    r.last_status = event.status;
    r.ended = event.status == engines::EventStatus::Ok && event.end;
    stopped = r.ended || event.status != engines::EventStatus::Ok;
  };
  const std::size_t step = piece == 0 ? body.size() + 1 : piece;
  for (std::size_t i = 0; i < body.size() || i == 0; i += step) {
    EXPECT_EQ(parser.feed(body.substr(i, step), on_event), sse::ParseStatus::Ok);
  }
  r.content_events = tally.content_events();
  r.tokens_out = tally.tokens_out();
  r.prompt_tokens = tally.prompt_tokens();
  return r;
}

}  // namespace sy::encoders::testing
