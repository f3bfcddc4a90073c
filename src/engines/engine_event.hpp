#pragma once
// The normalised event: what an engine adapter reads out of one engine event (or one whole
// answer), whatever the engine's protocol, and what the output encoders turn into the bytes of
// one client protocol.
//
// Every view points into the bytes the adapter was given (the relay's read buffer): no copy, no
// allocation. Text and finish reason are JSON string tokens exactly as the engine wrote them,
// quotes and escapes included, so an encoder that writes JSON copies them as they are and nothing
// is unescaped and escaped again. A view is valid until the next read of the engine.
//
// Pure: no I/O. Safe on any thread.

#include <cstdint>
#include <string_view>

namespace sy::engines {

// The shape of an engine's events. An encoder for the same shape passes the bytes through.
enum class WireShape : std::uint8_t {
  OpenAIChat,          // chat.completion.chunk events, ending with [DONE]
  OpenAICompletions,   // text_completion events, ending with [DONE]
  LlamaCppCompletion,  // llama.cpp's native /completion: {"content":..,"stop":..} per event
};

enum class EventStatus : std::uint8_t {
  Ok,
  EngineError,  // the engine reported an error ({"error":...}); nothing follows it
  Malformed,    // the engine sent an event that cannot be read; nothing follows it
};

struct TokenUsage {
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  bool reported = false;  // the event carried the engine's own counts
};

// One event of an engine's stream.
struct EngineEvent {
  std::string_view raw;            // the event's data, as the engine sent it
  std::string_view name;           // the SSE event name ("" when there was none)
  std::string_view text;           // generated text as a JSON string token; "" when none
  std::string_view finish_reason;  // a JSON string token ("\"stop\"", "\"length\"", ...); ""
  TokenUsage usage;
  bool end = false;  // the stream's terminal event ([DONE], or llama.cpp's "stop":true)
  EventStatus status = EventStatus::Ok;

  // True when the event carries generated text (a token, as the relay counts them).
  [[nodiscard]] bool has_text() const noexcept { return text.size() > 2; }
};

// A whole (non-streamed) answer of an engine.
struct EngineAnswer {
  std::string_view raw;  // the body, as the engine sent it
  std::string_view text;
  std::string_view finish_reason;
  TokenUsage usage;
  bool readable = true;  // false: the body is not an answer in the engine's shape
};

// Counts what a stream produced: content-bearing events, and the engine's own usage once it
// reported one (which then wins).
class EventTally {
 public:
  void count(const EngineEvent& ev) noexcept {
    if (ev.has_text()) ++content_events_;
    take(ev.usage);
  }
  void take(const TokenUsage& usage) noexcept {
    if (!usage.reported) return;
    if (usage.completion_tokens) completion_tokens_ = usage.completion_tokens;
    if (usage.prompt_tokens) prompt_tokens_ = usage.prompt_tokens;
  }
  [[nodiscard]] std::uint64_t content_events() const noexcept { return content_events_; }
  // The engine's completion count once it reported one, else the content-bearing events.
  [[nodiscard]] std::uint64_t tokens_out() const noexcept {
    return completion_tokens_ ? completion_tokens_ : content_events_;
  }
  [[nodiscard]] std::uint64_t prompt_tokens() const noexcept { return prompt_tokens_; }

 private:
  std::uint64_t content_events_ = 0;
  std::uint64_t completion_tokens_ = 0;
  std::uint64_t prompt_tokens_ = 0;
};

}  // namespace sy::engines
