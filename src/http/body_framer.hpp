#pragma once
// BodyFramer: finds the body bytes of one HTTP/1.1 response incrementally, whichever framing the
// head announced: chunked transfer coding, Content-Length, or "until the server closes".
// Bytes may arrive split anywhere. Pure; one framer per connection, reset per response; feeding
// never allocates (it hands out views into the caller's bytes).

#include <cstdint>
#include <string_view>

namespace sy::http {

class BodyFramer {
 public:
  enum class Status { NeedMore, Done, Error };

  void start_chunked() noexcept;
  void start_length(std::uint64_t length) noexcept;
  void start_until_close() noexcept;

  // Consumes bytes from the front of `in` (advancing it) and calls on_payload(std::string_view)
  // for each run of body bytes. Done: the body ended; bytes after it stay in `in`. Error: bad
  // chunked framing.
  template <typename OnPayload>
  Status feed(std::string_view& in, OnPayload&& on_payload);

  // True when a close of the connection ends the body properly (no length, not chunked).
  [[nodiscard]] bool ends_at_close() const noexcept { return state_ == State::UntilClose; }

 private:
  enum class State : std::uint8_t {
    Size,        // hex digits of a chunk size
    Extension,   // ";ext" after the size, up to the line end
    SizeLf,      // LF after the size line's CR
    Data,        // chunk data, remaining_ bytes left
    DataCr,      // CR after chunk data
    DataLf,      // LF after chunk data
    Trailer,     // trailer lines after the last chunk, up to an empty one
    TrailerLf,   // LF after a trailer line's CR
    Length,      // Content-Length body, remaining_ bytes left
    UntilClose,  // everything until EOF
    Done,
    Error,
  };

  Status end_size_line() noexcept;

  State state_ = State::Done;
  std::uint64_t remaining_ = 0;
  bool size_has_digits_ = false;
  bool trailer_line_empty_ = true;
};

template <typename OnPayload>
BodyFramer::Status BodyFramer::feed(std::string_view& in, OnPayload&& on_payload) {
  while (!in.empty()) {
    switch (state_) {
      case State::Data:
      case State::Length: {
        const std::size_t take =
            remaining_ < in.size() ? static_cast<std::size_t>(remaining_) : in.size();
        on_payload(in.substr(0, take));
        in.remove_prefix(take);
        remaining_ -= take;
        if (remaining_ == 0) {
          if (state_ == State::Length) {
            state_ = State::Done;
            return Status::Done;
          }
          state_ = State::DataCr;
        }
        continue;
      }
      case State::UntilClose:
        on_payload(in);
        in = {};
        return Status::NeedMore;
      case State::Done:
        return Status::Done;
      case State::Error:
        return Status::Error;
      default:
        break;
    }
    const char c = in.front();
    in.remove_prefix(1);
    switch (state_) {
      case State::Size: {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit >= 0) {
          if (remaining_ > (std::uint64_t{1} << 56)) {
            state_ = State::Error;
            return Status::Error;
          }
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(digit);
          size_has_digits_ = true;
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::Extension;
        } else if (c == '\r') {
          state_ = State::SizeLf;
        } else if (c == '\n') {
          if (end_size_line() == Status::Error) return Status::Error;
        } else {
          state_ = State::Error;
          return Status::Error;
        }
        break;
      }
      case State::Extension:
        if (c == '\r') state_ = State::SizeLf;
        if (c == '\n' && end_size_line() == Status::Error) return Status::Error;
        break;
      case State::SizeLf:
        if (c != '\n') {
          state_ = State::Error;
          return Status::Error;
        }
        if (end_size_line() == Status::Error) return Status::Error;
        break;
      case State::DataCr:
        if (c == '\r') {
          state_ = State::DataLf;
        } else if (c == '\n') {
          state_ = State::Size;
        } else {
          state_ = State::Error;
          return Status::Error;
        }
        break;
      case State::DataLf:
        if (c != '\n') {
          state_ = State::Error;
          return Status::Error;
        }
        state_ = State::Size;
        break;
      case State::Trailer:
        if (c == '\r') {
          state_ = State::TrailerLf;
        } else if (c == '\n') {
          if (trailer_line_empty_) {
            state_ = State::Done;
            return Status::Done;
          }
          trailer_line_empty_ = true;
        } else {
          trailer_line_empty_ = false;
        }
        break;
      case State::TrailerLf:
        if (c != '\n') {
          state_ = State::Error;
          return Status::Error;
        }
        if (trailer_line_empty_) {
          state_ = State::Done;
          return Status::Done;
        }
        trailer_line_empty_ = true;
        state_ = State::Trailer;
        break;
      default:
        break;
    }
  }
  return state_ == State::Done ? Status::Done : Status::NeedMore;
}

}  // namespace sy::http
