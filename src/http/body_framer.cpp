#include "http/body_framer.hpp"

namespace sy::http {

void BodyFramer::start_chunked() noexcept {
  state_ = State::Size;
  remaining_ = 0;
  size_has_digits_ = false;
  trailer_line_empty_ = true;
}

void BodyFramer::start_length(std::uint64_t length) noexcept {
  state_ = length == 0 ? State::Done : State::Length;
  remaining_ = length;
}

void BodyFramer::start_until_close() noexcept { state_ = State::UntilClose; }

BodyFramer::Status BodyFramer::end_size_line() noexcept {
  if (!size_has_digits_) {
    state_ = State::Error;
    return Status::Error;
  }
  size_has_digits_ = false;
  if (remaining_ == 0) {
    state_ = State::Trailer;
    trailer_line_empty_ = true;
  } else {
    state_ = State::Data;
  }
  return Status::NeedMore;
}

}  // namespace sy::http
