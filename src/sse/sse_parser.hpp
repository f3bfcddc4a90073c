#pragma once
// sse::Parser: an incremental Server-Sent-Events parser (WHATWG "event stream interpretation").
//
// Bytes arrive in chunks split anywhere (mid-line, mid-CRLF, mid-UTF-8 character); feed() calls
// on_event for every complete event, in order. The result never depends on where chunks split:
// feeding a stream in one piece, in two, or byte by byte gives the same events, the same
// comment_lines() and the same ParseStatus (the fuzz target tests/fuzz/sse_parser_fuzz.cpp checks
// exactly this).
//
// Rules (WHATWG, with the differences marked *):
//   - Lines end at LF, CRLF or a lone CR. A CR ending one chunk and an LF starting the next are ONE
//     line ending.
//   - A leading UTF-8 BOM (EF BB BF) at the very start of the stream is skipped, even when it is
//     split across chunks.
//   - A line starting with ':' is a comment (counted by comment_lines(), otherwise ignored).
//   - Otherwise the line splits at its first ':' into field and value (no ':' = the whole line is
//     the field, value ""); one leading space of the value is removed.
//   - `data`: the value is appended to the event's data, lines joined by '\n' (no trailing '\n').
//     `event`: sets the event type. `id`: sets the last event id unless the value contains NUL;
//     as in WHATWG the id is NOT cleared between events: it is reported on every later event until
//     an `id` field changes it (`id:` with an empty value clears it). Every other field (`retry`
//     included) is ignored.
//   - A blank line dispatches the pending event, then clears its data and type. *An event is
//     dispatched when it had at least one `data` field or an `event` field (WHATWG needs data);
//     a blank line after only comments or only `id` dispatches nothing.
//   - A final event not followed by a blank line is never dispatched.
//
// Limits: the bytes held for one event (the pending data and type plus the current line so far)
// may not exceed max_event_bytes. Past that feed() returns EventTooLarge, dispatches nothing more
// and keeps returning EventTooLarge until reset().
//
// Memory: the parser owns std::string buffers that are cleared, never shrunk, so once they have
// grown to the largest event seen, feeding allocates nothing. Complete lines inside a chunk are
// parsed in place without copying, and an event whose one data line lies inside the chunk is
// dispatched as a view of it; only what crosses a chunk boundary (a cut line, an event still
// pending when the chunk ends) or a multi-line event's data is copied.
//
// Thread: not synchronised; one parser belongs to one stream on one thread. No exceptions are
// thrown by the parser itself (only std::bad_alloc from growing a buffer, and whatever on_event
// throws).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sy::sse {

// One dispatched event. The views point into the parser's buffers and are valid only during the
// on_event call; copy what must outlive it.
struct Event {
  std::string_view event;  // "" when there was no `event:` field (means "message")
  std::string_view data;   // data lines joined by '\n' (no trailing newline)
  std::string_view id;     // the last event id seen on the stream ("" if none)
};

enum class ParseStatus { Ok, EventTooLarge };

class Parser {
 public:
  explicit Parser(std::size_t max_event_bytes = std::size_t{1} << 20);

  // Consumes `bytes` (any chunk boundary; empty is fine) and calls on_event(const Event&) for every
  // event completed by them. Returns EventTooLarge when the held line/event exceeds the limit; the
  // parser then stays failed until reset(). The parser must not be fed from inside on_event.
  template <typename OnEvent>
  ParseStatus feed(std::string_view bytes, OnEvent&& on_event);

  // Returns to the freshly constructed state (new stream: BOM check, no id, no comments counted,
  // not failed) while keeping the buffers' capacity.
  void reset() noexcept;

  // Comment lines (starting with ':') seen since construction or the last reset().
  [[nodiscard]] std::uint64_t comment_lines() const noexcept { return comment_lines_; }

  [[nodiscard]] std::size_t max_event_bytes() const noexcept { return max_event_bytes_; }

 private:
  enum class Step { Line, NeedMore, TooLarge };

  // Takes the next complete line (without its terminator) from `bytes`, advancing it. The line
  // either points into `bytes` or into line_buf_ (when it began in an earlier chunk); it is valid
  // until the next call. Keeps partial lines, the CR/LF state and the BOM state across calls.
  Step next_line(std::string_view& bytes, std::string_view& line);

  // Interprets one complete line. Returns true when it is a blank line and an event is ready to
  // be dispatched (pending_event() then describes it; finish_event() must follow).
  bool apply_line(std::string_view line);

  [[nodiscard]] Event pending_event() const noexcept {
    return Event{event_, data_is_view_ ? data_view_ : std::string_view(data_), id_};
  }
  [[nodiscard]] std::size_t data_size() const noexcept {
    return data_is_view_ ? data_view_.size() : data_.size();
  }
  // Copies pending data held as a view of the chunk into data_ (before the chunk goes away, or
  // before a second data line is appended).
  void keep_data();
  void finish_event() noexcept;

  std::size_t max_event_bytes_;
  std::string line_buf_;  // a line cut by a chunk boundary, so far
  std::string data_;
  std::string_view data_view_;  // the pending data when it is one line of the current chunk
  bool data_is_view_ = false;
  std::string event_;
  std::string id_;
  std::uint64_t comment_lines_ = 0;
  std::uint8_t bom_matched_ = 0;  // BOM bytes matched so far at the stream start
  bool bom_checked_ = false;      // the stream start has been examined for a BOM
  bool line_in_buf_ = false;      // the last line returned lives in line_buf_ (clear it next)
  bool skip_lf_ = false;          // the last byte was a CR ending a line: a following LF is eaten
  bool has_data_ = false;
  bool has_event_ = false;
  bool failed_ = false;
};

template <typename OnEvent>
ParseStatus Parser::feed(std::string_view bytes, OnEvent&& on_event) {
  std::string_view line;
  for (;;) {
    switch (next_line(bytes, line)) {
      case Step::NeedMore:
        keep_data();  // the chunk's bytes are gone after this call
        return ParseStatus::Ok;
      case Step::TooLarge:
        keep_data();
        return ParseStatus::EventTooLarge;
      case Step::Line:
        if (apply_line(line)) {
          // Finished even when on_event throws: a pending event may be a view of `bytes`, which
          // must not outlive this call.
          struct FinishEvent {
            Parser& parser;
            ~FinishEvent() { parser.finish_event(); }
          } finish{*this};
          on_event(pending_event());
        }
        break;
    }
  }
}

}  // namespace sy::sse
